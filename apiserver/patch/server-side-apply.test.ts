import { ApiError } from '../api-error.js';
import { applyServerSide } from './server-side-apply.js';

function liveDeployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', uid: 'u1', resourceVersion: '7', labels: { app: 'web' }, finalizers: ['a'] },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.1',
              imagePullPolicy: 'IfNotPresent',
              args: ['-a'],
              env: [{ name: 'A', value: '1' }],
            },
            { name: 'injected', image: 'proxy' },
          ],
          tolerations: [{ key: 'old' }],
        },
      },
    },
    status: { replicas: 3 },
  };
}

function applied() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { team: 'x' }, finalizers: ['b'] },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.2', args: ['-b'], env: [{ name: 'B', value: '2' }] },
            { name: 'logger', image: 'fluent' },
          ],
          tolerations: [{ key: 'new' }],
        },
      },
    },
  };
}

describe('applyServerSide', () => {
  it('creates the object from the configuration when nothing is live', () => {
    const configuration = { ...applied(), metadata: { name: 'web', annotations: { a: '1', b: null } } };
    expect(applyServerSide(undefined, configuration, 'V1Deployment')).toEqual({
      ...applied(),
      metadata: { name: 'web', annotations: { a: '1' } },
    });
  });

  it('merges the configuration into the live object', () => {
    const result = applyServerSide(liveDeployment(), applied(), 'V1Deployment');
    const live = liveDeployment();
    expect(result).toEqual({
      ...live,
      metadata: { ...live.metadata, labels: { app: 'web', team: 'x' }, finalizers: ['a', 'b'] },
      spec: {
        ...live.spec,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.2',
                imagePullPolicy: 'IfNotPresent',
                args: ['-b'],
                env: [
                  { name: 'A', value: '1' },
                  { name: 'B', value: '2' },
                ],
              },
              { name: 'injected', image: 'proxy' },
              { name: 'logger', image: 'fluent' },
            ],
            tolerations: [{ key: 'new' }],
          },
        },
      },
    });
  });

  it.each([
    [
      'service ports by port',
      'V1Service',
      { spec: { ports: [{ port: 80, name: 'web' }] } },
      { spec: { ports: [{ port: 80, targetPort: 81 }] } },
      { spec: { ports: [{ port: 80, name: 'web', targetPort: 81 }] } },
    ],
    [
      'node conditions by type',
      'V1Node',
      { status: { conditions: [{ type: 'Ready', status: 'False' }] } },
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    ],
    [
      'a field removed with null',
      'V1Pod',
      { spec: { nodeName: 'n1', hostname: 'h' } },
      { spec: { nodeName: null } },
      { spec: { hostname: 'h' } },
    ],
    ['a value whose JSON type changes', 'V1ConfigMap', { data: { a: '1' } }, { data: 'x' }, { data: 'x' }],
  ])('merges %s', (_name, model, live, configuration, expected) => {
    expect(applyServerSide(live, configuration, model)).toEqual(expected);
  });

  it('answers 400 for a keyed list item without its key', () => {
    const configuration = { spec: { template: { spec: { containers: [{ image: 'nginx' }] } } } };
    let error: unknown;
    try {
      applyServerSide(liveDeployment(), configuration, 'V1Deployment');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(400);
    expect((error as ApiError).message).toBe(
      '.spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name"',
    );
  });

  it('mutates neither input and shares no structure with them', () => {
    const live = liveDeployment();
    const configuration = applied();
    const result = applyServerSide(live, configuration, 'V1Deployment') as ReturnType<typeof liveDeployment>;
    (result.spec.template.spec.containers[0].env as object[]).push({ name: 'C', value: '3' });
    result.spec.template.spec.tolerations[0].key = 'changed';
    result.metadata.labels.app = 'changed';
    expect(live).toEqual(liveDeployment());
    expect(configuration).toEqual(applied());
  });
});
