import type { ApiError } from '../api-error.js';
import { nodeCreateAdmission, nodeCreateRefusal } from './node-restriction.js';

const n1 = { name: 'system:node:n1', groups: ['system:nodes'] };
const admin = { name: 'kubicle-admin', groups: ['system:masters'] };
const NODES = { apiGroup: '', resource: 'nodes', namespace: '' };
const LEASES = { apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease' };
const obj = (name?: string) => ({ metadata: name === undefined ? { generateName: 'x-' } : { name } });

describe('nodeCreateRefusal', () => {
  it.each<[string, typeof NODES, ReturnType<typeof obj>, string | null]>([
    ['its own Node', NODES, obj('n1'), null],
    [
      'another Node',
      NODES,
      obj('n2'),
      `nodes "n2" is forbidden: User "system:node:n1" cannot create resource "nodes" in API group "" at the cluster scope: node 'n1' is not allowed to modify node 'n2'`,
    ],
    ['a Node by generateName', NODES, obj(), "node 'n1' is not allowed to modify node ''"],
    ['its own Lease', LEASES, obj('n1'), null],
    [
      'another Lease',
      LEASES,
      obj('n2'),
      'can only access node lease with the same name as the requesting node',
    ],
    ['a ConfigMap', { apiGroup: '', resource: 'configmaps', namespace: 'x' }, obj('n2'), null],
  ])('a node creating %s', (_what, request, object, message) => {
    const refusal = nodeCreateRefusal({ ...request, user: n1 }, object);
    if (message === null) return expect(refusal).toBeUndefined();
    expect(refusal?.code).toBe(403);
    expect(refusal?.message).toContain(message);
  });

  it('leaves everyone else alone', () => {
    expect(nodeCreateRefusal({ ...NODES, user: admin }, obj('n2'))).toBeUndefined();
    expect(nodeCreateAdmission({ ...NODES, user: admin })).toBeUndefined();
    expect(nodeCreateAdmission({ ...NODES, resource: 'pods', user: n1 })).toBeUndefined();
  });

  it('gives an admit hook that throws the refusal', () => {
    const admit = nodeCreateAdmission({ ...NODES, user: n1 })!;
    expect(() => admit(obj('n1'))).not.toThrow();
    let thrown: ApiError | undefined;
    try {
      admit(obj('n2'));
    } catch (err) {
      thrown = err as ApiError;
    }
    expect(thrown?.code).toBe(403);
  });
});
