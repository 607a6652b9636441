import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive, readUpState, upStateFile, writeUpState } from './up-state.js';

describe('up state', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'up-state-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads back what was written', () => {
    const state = {
      pid: 42,
      nodeName: 'n1',
      apiServer: 'https://x',
      kubeconfig: '/k',
      components: ['kubelet'],
    };
    writeUpState(dir, state);
    expect(readUpState(dir)).toEqual(state);
  });

  it.each([
    ['no file', undefined],
    ['not JSON', '{'],
    ['no pid', '{"nodeName":"n"}'],
  ])('is undefined for %s', (_name, content) => {
    if (content !== undefined) fs.writeFileSync(upStateFile(dir), content);
    expect(readUpState(dir)).toBeUndefined();
  });

  it('tells a live process from a gone one', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 1)).toBe(false);
  });
});
