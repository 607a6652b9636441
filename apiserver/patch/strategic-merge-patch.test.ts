import { ApiError } from '../api-error.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

function deployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.1',
              args: ['-g', 'daemon off;'],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'busybox' },
          ],
          tolerations: [{ key: 'dedicated', operator: 'Exists' }],
        },
      },
    },
  };
}

type Deployment = ReturnType<typeof deployment>;
type Container = Deployment['spec']['template']['spec']['containers'][number];

function patchDeployment(patch: unknown): Deployment {
  return applyStrategicMergePatch(deployment(), patch, 'V1Deployment') as Deployment;
}

function podSpecPatch(spec: object) {
  return { spec: { template: { spec } } };
}

function containersOf(result: Deployment): Container[] {
  return result.spec.template.spec.containers;
}

function failure(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

function directivesIn(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => directivesIn(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(key.startsWith('$') ? [`${path}.${key}`] : []),
    ...directivesIn(child, `${path}.${key}`),
  ]);
}

describe('applyStrategicMergePatch', () => {
  describe('what kubectl sends', () => {
    it("applies kubectl apply's image change with $setElementOrder", () => {
      const result = patchDeployment(
        podSpecPatch({
          '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
          containers: [{ image: 'nginx:1.2', name: 'nginx' }],
        }),
      );
      expect(containersOf(result)).toEqual([
        { ...deployment().spec.template.spec.containers[0], image: 'nginx:1.2' },
        { name: 'sidecar', image: 'busybox' },
      ]);
      expect(directivesIn(result)).toEqual([]);
    });

    it('keeps a server-only container after the ones $setElementOrder names', () => {
      const result = patchDeployment(
        podSpecPatch({
          '$setElementOrder/containers': [{ name: 'nginx' }],
          containers: [{ image: 'nginx:1.2', name: 'nginx' }],
        }),
      );
      expect(containersOf(result).map((c) => [c.name, c.image])).toEqual([
        ['nginx', 'nginx:1.2'],
        ['sidecar', 'busybox'],
      ]);
    });

    it('reorders a list with $setElementOrder alone', () => {
      const result = patchDeployment(
        podSpecPatch({ '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'nginx' }] }),
      );
      expect(containersOf(result).map((c) => c.name)).toEqual(['sidecar', 'nginx']);
      expect(containersOf(result)[1]).toEqual(deployment().spec.template.spec.containers[0]);
    });

    it('changes labels and deletes one with null', () => {
      const result = patchDeployment({ metadata: { labels: { tier: null, env: 'prod' } } });
      expect(result.metadata.labels).toEqual({ app: 'web', env: 'prod' });
      expect(result.spec).toEqual(deployment().spec);
    });

    it.each([
      [{ spec: { unschedulable: true } }, { unschedulable: true, podCIDR: '10.0.0.0/24' }],
      [{ spec: { unschedulable: null } }, { podCIDR: '10.0.0.0/24' }],
    ])('cordons and uncordons a node with %j', (patch, spec) => {
      const node = { metadata: { name: 'n1' }, spec: { unschedulable: false, podCIDR: '10.0.0.0/24' } };
      expect(applyStrategicMergePatch(node, patch, 'V1Node')).toEqual({ metadata: { name: 'n1' }, spec });
    });

    it("records kubectl rollout restart's annotation", () => {
      const at = '2024-05-01T10:00:00Z';
      const result = patchDeployment({
        spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } },
      });
      expect(result.spec.template.metadata).toEqual({
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/restartedAt': at },
      });
    });

    it('deletes a container with $patch: delete', () => {
      const result = patchDeployment(podSpecPatch({ containers: [{ $patch: 'delete', name: 'sidecar' }] }));
      expect(containersOf(result)).toEqual([deployment().spec.template.spec.containers[0]]);
    });

    it.each([
      [{ $retainKeys: ['type'], type: 'Recreate' }],
      [{ $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null }],
    ])('switches the deployment strategy to Recreate with %j', (strategy) => {
      expect(patchDeployment({ spec: { strategy } }).spec.strategy).toEqual({ type: 'Recreate' });
    });

    it('switches back to RollingUpdate with $retainKeys', () => {
      const result = patchDeployment({
        spec: {
          strategy: {
            $retainKeys: ['rollingUpdate', 'type'],
            type: 'RollingUpdate',
            rollingUpdate: { maxSurge: 1 },
          },
        },
      });
      expect(result.spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' },
      });
    });

    it('merges env by name', () => {
      const result = patchDeployment(
        podSpecPatch({ containers: [{ name: 'nginx', env: [{ name: 'B', value: '3' }] }] }),
      );
      expect(containersOf(result)[0].env).toEqual([
        { name: 'A', value: '1' },
        { name: 'B', value: '3' },
      ]);
    });

    it('deletes an env var by name and drops a field of another with null', () => {
      const result = patchDeployment(
        podSpecPatch({
          containers: [
            {
              name: 'nginx',
              env: [
                { name: 'A', $patch: 'delete' },
                { name: 'B', value: null, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
            },
          ],
        }),
      );
      expect(containersOf(result)[0].env).toEqual([
        { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ]);
    });

    it('puts a container the patch adds first, as upstream does', () => {
      const result = patchDeployment(podSpecPatch({ containers: [{ name: 'redis', image: 'redis' }] }));
      expect(containersOf(result).map((c) => c.name)).toEqual(['redis', 'nginx', 'sidecar']);
    });

    it('replaces lists without a merge strategy', () => {
      const result = patchDeployment(
        podSpecPatch({
          tolerations: [{ key: 'gpu', operator: 'Exists' }],
          containers: [{ name: 'nginx', args: ['-v'] }],
        }),
      );
      expect(result.spec.template.spec.tolerations).toEqual([{ key: 'gpu', operator: 'Exists' }]);
      expect(containersOf(result)[0].args).toEqual(['-v']);
    });
  });

  describe('services, finalizers and status lists', () => {
    const service = {
      metadata: { name: 'web' },
      spec: {
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
        ],
      },
    };

    it('merges service ports by port', () => {
      const result = applyStrategicMergePatch(
        service,
        { spec: { ports: [{ port: 80, targetPort: 8081 }] } },
        'V1Service',
      );
      expect(result.spec).toEqual({
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 8081, protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
        ],
      });
    });

    it('adds a service port in front and deletes one by port', () => {
      const result = applyStrategicMergePatch(
        service,
        {
          spec: {
            ports: [
              { name: 'https', port: 443 },
              { $patch: 'delete', port: 9090 },
            ],
          },
        },
        'V1Service',
      );
      expect((result.spec as typeof service.spec).ports.map((p) => p.port)).toEqual([443, 80]);
    });

    it.each([
      ['adds to the set', { metadata: { finalizers: ['c', 'a'] } }, ['c', 'a', 'b']],
      ['removes from the set', { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, ['b']],
      [
        "applies kubectl apply's three parallel lists",
        {
          metadata: {
            '$setElementOrder/finalizers': ['a', 'c'],
            finalizers: ['c'],
            '$deleteFromPrimitiveList/finalizers': ['b'],
          },
        },
        ['a', 'c'],
      ],
    ])('finalizers: %s', (_name, patch, finalizers) => {
      const result = patchDeployment(patch);
      expect(result.metadata.finalizers).toEqual(finalizers);
      expect(directivesIn(result)).toEqual([]);
    });

    it('merges pod conditions by type', () => {
      const pod = {
        metadata: { name: 'p' },
        status: {
          phase: 'Running',
          conditions: [
            { type: 'PodScheduled', status: 'True' },
            { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
          ],
        },
      };
      const result = applyStrategicMergePatch(
        pod,
        { status: { conditions: [{ type: 'Ready', status: 'True', reason: null }] } },
        'V1Pod',
      );
      expect(result.status).toEqual({
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
      });
    });

    it('merges owner references by uid', () => {
      const pod = {
        metadata: { name: 'p', ownerReferences: [{ uid: 'u1', name: 'rs', kind: 'ReplicaSet' }] },
      };
      const result = applyStrategicMergePatch(
        pod,
        {
          metadata: {
            ownerReferences: [
              { uid: 'u1', controller: true },
              { uid: 'u2', name: 'other', kind: 'Job' },
            ],
          },
        },
        'V1Pod',
      );
      expect(result.metadata).toEqual({
        name: 'p',
        ownerReferences: [
          { uid: 'u1', name: 'rs', kind: 'ReplicaSet', controller: true },
          { uid: 'u2', name: 'other', kind: 'Job' },
        ],
      });
    });
  });

  describe('directives', () => {
    it('replaces a map with $patch: replace', () => {
      const result = patchDeployment({ metadata: { labels: { $patch: 'replace', only: 'this' } } });
      expect(result.metadata.labels).toEqual({ only: 'this' });
    });

    it('empties a map with $patch: delete', () => {
      expect(patchDeployment({ metadata: { labels: { $patch: 'delete' } } }).metadata.labels).toEqual({});
    });

    it('merges as usual with $patch: merge', () => {
      expect(patchDeployment({ metadata: { labels: { $patch: 'merge', x: 'y' } } }).metadata.labels).toEqual({
        app: 'web',
        tier: 'front',
        x: 'y',
      });
    });

    it('replaces a merging list with a $patch: replace item', () => {
      const result = patchDeployment(
        podSpecPatch({ containers: [{ name: 'only', image: 'alpine' }, { $patch: 'replace' }] }),
      );
      expect(containersOf(result)).toEqual([{ name: 'only', image: 'alpine' }]);
    });

    it.each([
      ['a new map with $patch: replace', { metadata: { annotations: { $patch: 'replace', a: 'b' } } }],
      ['a new map with $patch: delete', { metadata: { annotations: { $patch: 'delete' } } }],
      ['a new map with $retainKeys', { metadata: { annotations: { $retainKeys: ['a'], a: 'b' } } }],
      [
        'a new container with nested directives',
        podSpecPatch({
          containers: [
            {
              name: 'new',
              '$setElementOrder/env': [{ name: 'X' }],
              env: [
                { name: 'X', value: '1' },
                { name: 'Y', $patch: 'delete' },
              ],
              resources: { $patch: 'replace', limits: { cpu: '1' } },
            },
          ],
        }),
      ],
      [
        'a replacement list with nested directives',
        podSpecPatch({
          containers: [{ $patch: 'replace' }, { name: 'r', env: [{ name: 'Z', $patch: 'delete' }] }],
        }),
      ],
      [
        'an atomic list holding directive items',
        podSpecPatch({ tolerations: [{ $patch: 'delete', key: 'x' }, { key: 'y' }] }),
      ],
      [
        'an order directive for a list nobody has',
        podSpecPatch({ '$setElementOrder/initContainers': [{ name: 'x' }], '$setElementOrder/volumes': [] }),
      ],
      [
        'a deletion list for a missing list',
        podSpecPatch({ '$deleteFromPrimitiveList/imagePullSecrets': ['x'] }),
      ],
    ])('stores no directive for %s', (_name, patch) => {
      expect(directivesIn(patchDeployment(patch))).toEqual([]);
    });

    it('drops nulls inside values that are new', () => {
      const result = patchDeployment({ metadata: { annotations: { a: '1', b: null } } });
      expect(result.metadata).toEqual({ ...deployment().metadata, annotations: { a: '1' } });
    });
  });

  describe('schema-less values', () => {
    it('merges maps and replaces lists of fields the schema does not know', () => {
      const result = applyStrategicMergePatch(
        { data: { a: '1' }, extra: { list: [1, 2], keep: true } },
        { data: { b: '2' }, extra: { list: [3] } },
        'V1ConfigMap',
      );
      expect(result).toEqual({ data: { a: '1', b: '2' }, extra: { list: [3], keep: true } });
    });

    it('replaces a value whose JSON type changes', () => {
      expect(
        applyStrategicMergePatch(
          { metadata: { labels: { a: 'b' } } },
          { metadata: { labels: 'x' } },
          'V1Pod',
        ),
      ).toEqual({ metadata: { labels: 'x' } });
    });

    it('treats __proto__ as an ordinary key', () => {
      const patch = JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":true}}}}');
      const result = applyStrategicMergePatch({ metadata: { labels: {} } }, patch, 'V1Pod') as {
        metadata: { labels: Record<string, unknown> };
      };
      expect(result.metadata.labels.polluted).toBeUndefined();
      expect(Object.keys(result.metadata.labels)).toEqual(['__proto__']);
    });
  });

  describe('errors', () => {
    it.each([
      [
        'a merge list item without its key',
        podSpecPatch({ containers: [{ image: 'nginx' }] }),
        500,
        'map: map[image:nginx] does not contain declared merge key: name',
      ],
      [
        'a delete item without its key',
        podSpecPatch({ containers: [{ $patch: 'delete' }] }),
        500,
        'map: map[$patch:delete] does not contain declared merge key: name',
      ],
      [
        'an unknown $patch',
        { metadata: { $patch: 'frob' } },
        500,
        'unknown patch type: frob in map: map[$patch:frob]',
      ],
      [
        '$patch: merge in a list',
        podSpecPatch({ containers: [{ $patch: 'merge', name: 'x' }] }),
        500,
        'merging lists cannot yet be specified in the patch',
      ],
      [
        '$retainKeys that is not a list',
        { spec: { strategy: { $retainKeys: 'type' } } },
        400,
        'invalid patch format of retainKeys',
      ],
      [
        'a patched key missing from $retainKeys',
        { spec: { strategy: { $retainKeys: ['type'], type: 'RollingUpdate', rollingUpdate: {} } } },
        400,
        'invalid patch format of retainKeys',
      ],
      [
        'a deletion list without a field',
        { metadata: { $deleteFromPrimitiveList: ['a'] } },
        400,
        'invalid patch format of primitive list',
      ],
      [
        'an order directive without a field',
        { metadata: { $setElementOrderfinalizers: ['a'] } },
        400,
        'invalid patch format of setElementOrder list',
      ],
      [
        'a patch list out of $setElementOrder order',
        podSpecPatch({
          '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
          containers: [{ name: 'sidecar' }, { name: 'nginx' }],
        }),
        500,
        "The order in patch list:\n[map[name:sidecar] map[name:nginx]]\n doesn't match $setElementOrder list:\n[map[name:nginx] map[name:sidecar]]\n",
      ],
      [
        'an order directive that is not a list',
        podSpecPatch({ '$setElementOrder/containers': 'nginx' }),
        500,
        'expected a []interface {}, but received a string',
      ],
      [
        'mixed element types in a merging list',
        { metadata: { finalizers: [1] } },
        500,
        'list element types are not identical: [[a b] [1]]',
      ],
      [
        'a list of lists in a merging list',
        { metadata: { finalizers: [['x']] } },
        422,
        'the server rejected our request due to an error in our request',
      ],
    ])('fails for %s', (_name, patch, code, message) => {
      const error = failure(() => patchDeployment(patch));
      expect([error.code, error.message]).toEqual([code, message]);
      expect(error.reason).toBe({ 400: 'BadRequest', 422: 'Invalid', 500: '' }[code]);
    });

    it.each([[[]], ['x'], [null], [3]])('answers 400 for the patch body %j', (patch) => {
      expect(failure(() => patchDeployment(patch)).code).toBe(400);
    });
  });

  it('mutates neither input and shares no structure with them', () => {
    const original = deployment();
    const patch = podSpecPatch({
      '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
      containers: [{ name: 'nginx', image: 'nginx:2', env: [{ name: 'C', value: '3' }] }],
    });
    const patchCopy = structuredClone(patch);
    const result = applyStrategicMergePatch(original, patch, 'V1Deployment') as Deployment;
    expect(original).toEqual(deployment());
    expect(patch).toEqual(patchCopy);
    (containersOf(result)[0].env as object[]).push({ name: 'D', value: '4' });
    containersOf(result)[1].image = 'changed';
    expect(original).toEqual(deployment());
    expect(patch).toEqual(patchCopy);
  });
});
