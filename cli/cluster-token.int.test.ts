import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureClusterTokens, operatorCopies, sha256Hex, tokenHashFile } from './cluster-token.js';
import { writeKubeconfig } from './kubeconfig.js';

describe('ensureClusterTokens', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokens-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stores only hashes, 0600, and keeps the secrets whose copies it is shown', () => {
    const certDir = path.join(dir, 'pki');
    const first = ensureClusterTokens({ certDir });
    expect(first.adminToken).not.toBe(first.joinSecret);
    const text = fs.readFileSync(tokenHashFile(certDir), 'utf8');
    expect(text).not.toContain(first.adminToken);
    expect(text).not.toContain(first.joinSecret);
    expect(text).toContain(`${sha256Hex(first.adminToken)},kubicle-admin,,"system:masters"`);
    expect(text).toContain(`${sha256Hex(first.joinSecret)},system:bootstrap:kubicle,,"system:bootstrappers"`);
    expect(fs.statSync(tokenHashFile(certDir)).mode & 0o777).toBe(0o600);

    const kubeconfig = path.join(dir, 'kubeconfig');
    const joinToken = path.join(dir, 'join-token');
    writeKubeconfig(kubeconfig, 'https://127.0.0.1:1', { token: first.adminToken });
    fs.writeFileSync(joinToken, `K10${'a'.repeat(64)}::${first.joinSecret}\n`);
    const again = ensureClusterTokens({ certDir, ...operatorCopies(kubeconfig, joinToken) });
    expect(again).toMatchObject({ adminToken: first.adminToken, joinSecret: first.joinSecret });

    // A copy the server never issued is not taken up: a new secret replaces it.
    writeKubeconfig(kubeconfig, 'https://127.0.0.1:1', { token: 'kubicle-planted' });
    const replaced = ensureClusterTokens({ certDir, ...operatorCopies(kubeconfig, joinToken) });
    expect(replaced.adminToken).not.toBe('kubicle-planted');
    expect(replaced.adminToken).not.toBe(first.adminToken);
    expect(replaced.joinSecret).toBe(first.joinSecret);
    expect(replaced.hashes.filter((h) => h.user === 'kubicle-admin')).toHaveLength(1);
  });

  it('uses an admin token it is given, whatever is stored', () => {
    const tokens = ensureClusterTokens({ certDir: dir, adminToken: 'given-token' });
    expect(tokens.adminToken).toBe('given-token');
    expect(tokens.hashes[0].sha256).toBe(sha256Hex('given-token'));
  });
});
