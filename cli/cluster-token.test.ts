import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterTokenFile, ensureClusterToken } from './cluster-token.js';

describe('ensureClusterToken', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a private random token once and returns the same one afterwards', () => {
    const token = ensureClusterToken(path.join(dir, 'data'));
    expect(token).toMatch(/^kubicle-[0-9a-f]{48}$/);
    expect(fs.statSync(clusterTokenFile(path.join(dir, 'data'))).mode & 0o777).toBe(0o600);
    expect(ensureClusterToken(path.join(dir, 'data'))).toBe(token);
    expect(ensureClusterToken(path.join(dir, 'other'))).not.toBe(token);
  });

  it('keeps a token written by hand', () => {
    fs.writeFileSync(clusterTokenFile(dir), 'chosen-token\n');
    expect(ensureClusterToken(dir)).toBe('chosen-token');
  });
});
