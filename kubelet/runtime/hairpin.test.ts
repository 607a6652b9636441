import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enableHairpin } from './hairpin.js';

describe('enableHairpin', () => {
  let sysfs: string;
  const port = (name: string, mode: string) => {
    fs.mkdirSync(path.join(sysfs, 'br0', 'brif', name), { recursive: true });
    fs.writeFileSync(path.join(sysfs, 'br0', 'brif', name, 'hairpin_mode'), mode);
  };
  const mode = (name: string) =>
    fs.readFileSync(path.join(sysfs, 'br0', 'brif', name, 'hairpin_mode'), 'utf8');

  beforeEach(() => {
    sysfs = fs.mkdtempSync(path.join(os.tmpdir(), 'hairpin-'));
  });
  afterEach(() => fs.rmSync(sysfs, { recursive: true, force: true }));

  it('turns hairpin mode on for the ports that lack it, and counts them', () => {
    port('veth1', '0\n');
    port('veth2', '1\n');
    port('veth3', '0\n');
    expect(enableHairpin('br0', sysfs)).toBe(2);
    expect([mode('veth1'), mode('veth2'), mode('veth3')].map((m) => m.trim())).toEqual(['1', '1', '1']);
    expect(enableHairpin('br0', sysfs)).toBe(0);
  });

  it('does nothing, without throwing, when the bridge does not exist', () => {
    expect(enableHairpin('missing', sysfs)).toBe(0);
  });
});
