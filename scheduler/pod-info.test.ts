import { labelSelectorFromSpec, type LabelSelectorSpec } from '../machinery/label-selector.js';
import { PodInfo, compileSelector } from './pod-info.js';
import { makePod } from './testing/builders.js';

describe('compileSelector', () => {
  const labelSets: Record<string, string>[] = [
    {},
    { app: 'web' },
    { app: 'web', tier: 'front' },
    { app: 'db' },
    { tier: 'front' },
  ];

  it.each<[string, LabelSelectorSpec | null]>([
    ['matchLabels with one label', { matchLabels: { app: 'web' } }],
    ['matchLabels with two labels', { matchLabels: { app: 'web', tier: 'front' } }],
    ['In with one value', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }],
    ['In with two values', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }],
    ['NotIn', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }],
    ['the empty selector', {}],
    ['a missing selector', null],
  ])('agrees with LabelSelector.matches for %s', (_name, spec) => {
    const selector = labelSelectorFromSpec(spec);
    const compiled = compileSelector(selector);
    for (const labels of labelSets) expect(compiled(labels)).toBe(selector.matches(labels));
  });
});

describe('PodInfo', () => {
  it('is parsed once per pod object', () => {
    const pod = makePod();
    expect(PodInfo.of(pod)).toBe(PodInfo.of(pod));
  });

  it('keys pods by UID', () => {
    expect(PodInfo.of(makePod({ name: 'p', uid: 'abc' })).key).toBe('abc');
  });

  it('finds the controlling owner', () => {
    expect(PodInfo.of(makePod({ ownerUid: 'rs-1' })).controllerUid).toBe('rs-1');
    expect(PodInfo.of(makePod()).controllerUid).toBeUndefined();
  });

  it('collects host ports with the wildcard address and TCP as defaults, skipping container-only ports', () => {
    const pod = makePod({
      hostPorts: [
        { containerPort: 80, hostPort: 8080 },
        { containerPort: 81 },
        { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' },
      ],
    });
    expect(PodInfo.of(pod).hostPorts).toEqual([
      { ip: '0.0.0.0', protocol: 'TCP', port: 8080 },
      { ip: '10.0.0.1', protocol: 'UDP', port: 53 },
    ]);
  });

  it('parses the pod assumed onto a node by reusing the pending pod’s fields', () => {
    const pending = makePod({
      name: 'p',
      uid: 'u1',
      labels: { app: 'web' },
      ownerUid: 'rs-1',
      requests: { cpu: '250m', memory: '64Mi' },
    });
    const info = PodInfo.of(pending);
    const assumed = info.withNodeName('n1');
    expect(assumed.pod.spec?.nodeName).toBe('n1');
    expect(pending.spec?.nodeName).toBeUndefined();
    expect(info.nodeName).toBe('');
    expect(PodInfo.of(assumed.pod)).toBe(assumed);
    const parsedAfresh = PodInfo.of(structuredClone(assumed.pod));
    for (const field of ['key', 'namespace', 'name', 'nodeName', 'controllerUid'] as const) {
      expect(assumed[field]).toBe(parsedAfresh[field]);
    }
    expect(assumed.requests).toEqual(parsedAfresh.requests);
    expect(assumed.nonZeroRequests).toEqual(parsedAfresh.nonZeroRequests);
    expect(assumed.labels).toEqual(parsedAfresh.labels);
  });

  it("defaults an affinity term's namespaces to the pod's own", () => {
    const pod = makePod({
      namespace: 'team-a',
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' },
          ],
        },
      },
    });
    expect([...PodInfo.of(pod).requiredAffinityTerms[0].namespaces]).toEqual(['team-a']);
    expect(PodInfo.of(pod).hasAffinity()).toBe(true);
    expect(PodInfo.of(pod).hasRequiredAntiAffinity()).toBe(false);
  });
});
