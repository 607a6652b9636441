import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeObject } from '../../apiserver/api-object.js';
import { cascadePolicy } from './delete.js';
import { findKubectl, kubectlArgs } from './kubectl.js';
import { chooseContainer } from './logs.js';

describe('delete --cascade', () => {
  it.each<[string | undefined, string]>([
    [undefined, 'Background'],
    ['background', 'Background'],
    ['foreground', 'Foreground'],
    ['orphan', 'Orphan'],
    ['true', 'Background'],
    ['false', 'Orphan'],
  ])('%s is %s', (value, policy) => {
    expect(cascadePolicy(value)).toBe(policy);
  });

  it('refuses other values', () => {
    expect(() => cascadePolicy('later')).toThrow('invalid cascade value (later)');
  });
});

describe('logs container choice', () => {
  const pod = (names: string[], annotations?: Record<string, string>): KubeObject => ({
    metadata: { name: 'p', annotations },
    spec: { containers: names.map((name) => ({ name })) },
  });

  it.each<[string, KubeObject, string | undefined, { name: string; notice?: string }]>([
    ['the asked one', pod(['a', 'b']), 'b', { name: 'b' }],
    ['the only one', pod(['a']), undefined, { name: 'a' }],
    [
      'the first, saying so',
      pod(['a', 'b']),
      undefined,
      { name: 'a', notice: 'Defaulted container "a" out of: a, b' },
    ],
    [
      'the annotated default',
      pod(['a', 'b'], { 'kubectl.kubernetes.io/default-container': 'b' }),
      undefined,
      { name: 'b', notice: 'Defaulted container "b" out of: a, b' },
    ],
  ])('%s', (_name, p, asked, expected) => {
    expect(chooseContainer(p, asked)).toEqual(expected);
  });
});

describe('kubicle kubectl', () => {
  it('puts the cluster kubeconfig first unless one is given', () => {
    expect(kubectlArgs(['get', 'pods'], '/k')).toEqual(['--kubeconfig=/k', 'get', 'pods']);
    expect(kubectlArgs(['--kubeconfig', '/mine', 'get', 'pods'], '/k')).toEqual([
      '--kubeconfig',
      '/mine',
      'get',
      'pods',
    ]);
  });

  it('finds kubectl on PATH when it is not in /usr/bin', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-path-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubectl'), '#!/bin/sh\n', { mode: 0o755 });
      const found = findKubectl(dir);
      expect(found === '/usr/bin/kubectl' || found === path.join(dir, 'kubectl')).toBe(true);
      if (!fs.existsSync('/usr/bin/kubectl')) expect(findKubectl('/nonexistent')).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
