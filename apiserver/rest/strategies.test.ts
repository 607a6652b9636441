import { RESOURCES } from '../resource-registry.js';
import type { KubeObject } from '../api-object.js';
import {
  podGracePeriod,
  prepareForCreate,
  prepareForStatusUpdate,
  prepareForUpdate,
  strategyFor,
} from './strategies.js';

const resource = (plural: string) => RESOURCES.find((r) => r.plural === plural)!;

describe('strategies', () => {
  it.each([
    ['pods', true, false, false],
    ['deployments', true, true, false],
    ['configmaps', false, false, false],
    ['endpoints', false, false, true],
    ['leases', false, false, true],
    ['nodes', true, false, false],
  ])(
    '%s: status subresource %s, generation %s, create on update %s',
    (plural, status, generation, createOnUpdate) => {
      const s = strategyFor(resource(plural));
      expect([s.statusSubresource, s.tracksGeneration, s.allowCreateOnUpdate]).toEqual([
        status,
        generation,
        createOnUpdate,
      ]);
    },
  );

  it('resets the status a client sends with a new pod but keeps a new node status', () => {
    const pod: KubeObject = { metadata: { name: 'p' }, status: { phase: 'Running' } };
    expect(prepareForCreate(strategyFor(resource('pods')), pod).status).toEqual({ phase: 'Pending' });
    const node: KubeObject = { metadata: { name: 'n' }, status: { capacity: { cpu: '2' } } };
    expect(prepareForCreate(strategyFor(resource('nodes')), node).status).toEqual({ capacity: { cpu: '2' } });
  });

  it('keeps the stored status on a main-resource update and bumps generation only for spec changes', () => {
    const s = strategyFor(resource('deployments'));
    const current: KubeObject = {
      metadata: { name: 'd', generation: 3 },
      spec: { replicas: 1 },
      status: { replicas: 1 },
    };
    const relabelled = prepareForUpdate(
      s,
      { ...current, metadata: { ...current.metadata, labels: { a: 'b' } }, status: {} },
      current,
    );
    expect(relabelled.status).toEqual({ replicas: 1 });
    expect(relabelled.metadata.generation).toBe(3);
    const scaled = prepareForUpdate(s, { ...current, spec: { replicas: 5 } }, current);
    expect(scaled.metadata.generation).toBe(4);
  });

  it('takes only the status from a status update', () => {
    const current: KubeObject = {
      metadata: { name: 'p', labels: { a: '1' } },
      spec: { nodeName: 'n1' },
      status: { phase: 'Pending' },
    };
    const next: KubeObject = {
      metadata: { name: 'p', labels: { a: '2' } },
      spec: { nodeName: 'other' },
      status: { phase: 'Running' },
    };
    expect(prepareForStatusUpdate(next, current)).toEqual({ ...current, status: { phase: 'Running' } });
  });

  it.each([
    ['unbound pod', {}, {}, undefined, 0],
    ['bound pod, default grace', { nodeName: 'n' }, {}, undefined, 30],
    ['bound pod, spec grace', { nodeName: 'n', terminationGracePeriodSeconds: 5 }, {}, undefined, 5],
    ['bound pod, requested grace wins', { nodeName: 'n', terminationGracePeriodSeconds: 5 }, {}, 1, 1],
    ['bound pod, forced', { nodeName: 'n' }, {}, 0, 0],
    ['finished pod', { nodeName: 'n' }, { phase: 'Succeeded' }, undefined, 0],
  ])('grace period for %s', (_name, spec, status, requested, expected) => {
    expect(podGracePeriod({ metadata: { name: 'p' }, spec, status }, requested)).toBe(expected);
  });
});
