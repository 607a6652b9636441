import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiServerConfig } from './api-server-options.js';

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
