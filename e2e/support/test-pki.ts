/**
 * A throwaway certificate authority for tests, made with the `openssl` command in a directory the
 * caller owns and removes: `issueClient` signs client certificates with a subject CN and Os, as the
 * cluster's identities are carried.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestKeyPair {
  cert: string;
  key: string;
}

export interface TestCa extends TestKeyPair {
  issueClient(commonName: string, organizations?: readonly string[]): TestKeyPair;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCa(dir: string, name: string): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const file = (f: string) => path.join(dir, `${name}-${f}`);
  // prettier-ignore
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 0;
  return {
    cert: fs.readFileSync(file('ca.crt'), 'utf8'),
    key: fs.readFileSync(file('ca.key'), 'utf8'),
    issueClient(commonName, organizations = []) {
      const base = file(`client-${++serial}`);
      const subject = [...organizations.map((o) => `/O=${o}`), `/CN=${commonName}`].join('');
      // prettier-ignore
      openssl([
        'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subject,
      ]);
      fs.writeFileSync(`${base}.ext`, 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
      // prettier-ignore
      openssl([
        'x509', '-req', '-in', `${base}.csr`, '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
        '-set_serial', String(serial + 1000), '-out', `${base}.crt`, '-days', '1', '-extfile', `${base}.ext`,
      ]);
      return { cert: fs.readFileSync(`${base}.crt`, 'utf8'), key: fs.readFileSync(`${base}.key`, 'utf8') };
    },
  };
}
