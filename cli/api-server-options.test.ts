import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiServerConfig, plainHttpProblem } from './api-server-options.js';

describe('--encryption-provider-config', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-enc-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (text: string) => {
    const file = path.join(dir, 'encryption.yaml');
    fs.writeFileSync(file, text);
    return file;
  };
  const configWith = (secret: string) =>
    write(
      [
        'apiVersion: apiserver.config.k8s.io/v1',
        'kind: EncryptionConfiguration',
        'resources:',
        '  - resources: [secrets]',
        '    providers:',
        `      - aesgcm: {keys: [{name: key1, secret: ${secret}}]}`,
      ].join('\n'),
    );

  it('turns the file into the server’s encryption setting', () => {
    const file = configWith(Buffer.alloc(32, 4).toString('base64'));
    const config = apiServerConfig({ 'encryption-provider-config': file }, ['http://e:2379'], 6443);
    expect(config.encryption?.secrets).toEqual([
      { type: 'aesgcm', keys: [{ name: 'key1', secret: Buffer.alloc(32, 4) }] },
    ]);
  });

  it('leaves encryption off without the flag', () => {
    expect(apiServerConfig({}, ['http://e:2379'], 6443).encryption).toBeUndefined();
  });

  it('names the flag and the file when the file is missing', () => {
    const missing = path.join(dir, 'nope.yaml');
    expect(() => apiServerConfig({ 'encryption-provider-config': missing }, [], 1)).toThrow(
      `--encryption-provider-config: cannot read ${missing} (ENOENT)`,
    );
  });

  it('names the flag, the file and the problem, not the key, when the config is invalid', () => {
    const secret = Buffer.alloc(20, 4).toString('base64');
    const file = configWith(secret);
    let message = '';
    try {
      apiServerConfig({ 'encryption-provider-config': file }, [], 1);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`--encryption-provider-config ${file}: invalid encryption provider config`);
    expect(message).toContain('got 20');
    expect(message).not.toContain(secret);
  });
});

describe('--token-auth-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-tokens-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('turns the file into the server’s token users', () => {
    const file = path.join(dir, 'tokens.csv');
    fs.writeFileSync(file, 'tok1,jane,1,"devs,ops"\ntok2,bob,2\n');
    expect(apiServerConfig({ 'token-auth-file': file }, [], 1).tokenUsers).toEqual([
      { token: 'tok1', user: 'jane', uid: '1', groups: ['devs', 'ops'] },
      { token: 'tok2', user: 'bob', uid: '2', groups: [] },
    ]);
  });

  it('names the flag and the file when it cannot be read or parsed', () => {
    const missing = path.join(dir, 'missing.csv');
    expect(() => apiServerConfig({ 'token-auth-file': missing }, [], 1)).toThrow(
      `--token-auth-file: cannot read ${missing} (ENOENT)`,
    );
    const short = path.join(dir, 'short.csv');
    fs.writeFileSync(short, 'tok,jane\n');
    expect(() => apiServerConfig({ 'token-auth-file': short }, [], 1)).toThrow(
      `--token-auth-file: token file '${short}' must have at least 3 columns (token, user name, user uid), found 2`,
    );
  });

  it('leaves the token users unset without the flag', () => {
    expect(apiServerConfig({}, [], 1).tokenUsers).toBeUndefined();
  });
});

describe('--plain-http', () => {
  it.each([
    ['without it', {}, undefined],
    ['on the default address', { 'plain-http': true }, undefined],
    ['on loopback', { 'plain-http': true, 'bind-address': '127.0.0.1' }, undefined],
    ['TLS on any address', { 'bind-address': '0.0.0.0' }, undefined],
    [
      'on every address',
      { 'plain-http': true, 'bind-address': '0.0.0.0' },
      /listens on 127\.0\.0\.1 only; --bind-address 0\.0\.0\.0 needs TLS/,
    ],
    [
      'on a host address',
      { 'plain-http': true, 'bind-address': '192.0.2.1' },
      /--bind-address 192\.0\.2\.1 needs TLS/,
    ],
    ['with token users', { 'plain-http': true, 'token-auth-file': 'f' }, /--token-auth-file cannot apply/],
  ])('%s', (_name, values, problem) => {
    const found = plainHttpProblem(values);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});
