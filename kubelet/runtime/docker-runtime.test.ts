import { containerStateOf, dockerContainerName, entrypointAndCmd } from './docker-runtime.js';
import { imageRefFor, terminationReason } from './runtime.js';

describe('DockerRuntime conversions', () => {
  it.each([
    [
      'command and args',
      { command: ['sh', '-c'], args: ['echo hi'] },
      { Entrypoint: ['sh', '-c'], Cmd: ['echo hi'] },
    ],
    [
      'command alone drops the image CMD',
      { command: ['sleep', '5'] },
      { Entrypoint: ['sleep', '5'], Cmd: [] },
    ],
    ['args alone keep the image ENTRYPOINT', { args: ['-v'] }, { Cmd: ['-v'] }],
    ['neither keeps both from the image', {}, {}],
    ['empty lists count as unset', { command: [], args: [] }, {}],
  ])('%s', (_name, config, want) => {
    expect(entrypointAndCmd(config)).toEqual(want);
  });

  it.each([
    ['created', 'created'],
    ['running', 'running'],
    ['paused', 'running'],
    ['exited', 'exited'],
    ['dead', 'exited'],
    ['removing', 'exited'],
    ['restarting', 'unknown'],
  ])('Docker state %s is %s', (docker, state) => {
    expect(containerStateOf(docker)).toBe(state);
  });

  it('names containers as dockershim did', () => {
    expect(dockerContainerName('POD', { name: 'web-1', namespace: 'shop', uid: 'u-1' }, 2)).toBe(
      'k8s_POD_web-1_shop_u-1_2',
    );
  });

  it.each([
    [0, false, 'Completed'],
    [1, false, 'Error'],
    [137, true, 'OOMKilled'],
    [137, false, 'Error'],
  ])('exit code %i (OOM killed: %s) is reported as %s', (code, oom, reason) => {
    expect(terminationReason(code, oom)).toBe(reason);
  });

  it('prefers the registry digest for image IDs', () => {
    expect(imageRefFor('sha256:abc', ['nginx@sha256:def'])).toBe('docker-pullable://nginx@sha256:def');
    expect(imageRefFor('sha256:abc', [])).toBe('docker://sha256:abc');
  });
});
