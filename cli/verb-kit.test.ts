import { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError } from '../machinery/api-status-error.js';
import { UsageError, contextNamespace, errorLine, normalizeBooleanFlags, parseDuration } from './verb-kit.js';

describe('errorLine', () => {
  it.each<[string, unknown, string]>([
    [
      'a server error, as kubectl words it',
      new ApiStatusError(404, 'NotFound', 'pods "x" not found'),
      'Error from server (NotFound): pods "x" not found',
    ],
    [
      'a multi-line server message on one line',
      new ApiStatusError(422, 'Invalid', 'Deployment.apps "web" is invalid:\n spec.replicas: Invalid value'),
      'Error from server (Invalid): Deployment.apps "web" is invalid: spec.replicas: Invalid value',
    ],
    ['a usage error', new UsageError('unknown flag: --x'), 'error: unknown flag: --x'],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 6443,
      }),
      'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?',
    ],
    ['anything else', 'boom', 'error: boom'],
  ])('%s', (_name, err, expected) => {
    expect(errorLine(err)).toBe(expected);
  });
});

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['20', 20_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it('refuses what Go would refuse', () => {
    expect(() => parseDuration('soon', '--timeout')).toThrow('invalid argument "soon" for "--timeout" flag');
    expect(parseDuration(undefined, '--timeout')).toBeUndefined();
  });
});

describe('normalizeBooleanFlags', () => {
  it('turns --flag=false into --no-flag for the named flags only', () => {
    expect(
      normalizeBooleanFlags(['--wait=false', '--wait=true', '--force=false', 'x=false'], ['wait']),
    ).toEqual(['--no-wait', '--wait', '--force=false', 'x=false']);
  });
});

describe('contextNamespace', () => {
  it.each<[string | undefined, string]>([
    ['team-a', 'team-a'],
    [undefined, 'default'],
  ])('context namespace %s gives %s', (namespace, expected) => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace }],
      currentContext: 'x',
    });
    expect(contextNamespace(kc)).toBe(expected);
  });
});
