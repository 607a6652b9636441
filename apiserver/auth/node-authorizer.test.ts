import { NodeGraph } from './node-graph.js';
import { authorizeNode, nodeIdentity } from './node-authorizer.js';
import type { Verdict } from './authorizer-chain.js';
import type { Attributes, ResourceAttributes } from './request-attributes.js';
import type { UserInfo } from './user-info.js';

const graph = new NodeGraph();
graph.putPod({
  metadata: { name: 'p1', namespace: 'default' },
  spec: {
    nodeName: 'n1',
    volumes: [{ name: 'v', secret: { secretName: 's1' } }],
    containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'c1' } }] }],
  },
});
graph.putPod({
  metadata: { name: 'p2', namespace: 'default' },
  spec: {
    nodeName: 'n2',
    volumes: [
      { name: 'v', secret: { secretName: 's2' } },
      { name: 'w', configMap: { name: 'c2' } },
    ],
  },
});

graph.putPod({ metadata: { name: 'pending', namespace: 'default' }, spec: { containers: [] } });

const n1: UserInfo = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };

type Request = Partial<ResourceAttributes> & { selector?: string };

function attrs(req: Request, user: UserInfo = n1): Attributes {
  const { selector, ...rest } = req;
  return {
    kind: 'resource',
    verb: 'get',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: '',
    namespace: '',
    name: '',
    ...(selector
      ? {
          fieldSelector: selector.split(',').map((term) => {
            const [field, value] = term.split(/!?=/);
            return { field, operator: term.includes('!=') ? ('!=' as const) : ('=' as const), value };
          }),
        }
      : {}),
    ...rest,
    user,
  };
}

const A = 'allow';
const D = 'deny';
const N = 'no-opinion';
const NO_RELATION = "no relationship found between node 'n1' and this object";

type Case = [string, Request, Verdict, string?];

/** Every row gets a reason slot, since jest hands a short row's missing argument its done callback. */
const cases = (rows: Case[]): [string, Request, Verdict, string | null][] =>
  rows.map(([what, req, verdict, reason]) => [what, req, verdict, reason ?? null]);

describe('authorizeNode', () => {
  it.each(
    cases([
      // nodes
      ['get any node', { resource: 'nodes', name: 'n2' }, A],
      ['list nodes', { resource: 'nodes', verb: 'list' }, A],
      ['watch nodes', { resource: 'nodes', verb: 'watch' }, A],
      ['create a node', { resource: 'nodes', verb: 'create' }, A],
      ['update its own node', { resource: 'nodes', verb: 'update', name: 'n1' }, A],
      ['patch its own node', { resource: 'nodes', verb: 'patch', name: 'n1' }, A],
      ['delete its own node', { resource: 'nodes', verb: 'delete', name: 'n1' }, A],
      [
        'update another node',
        { resource: 'nodes', verb: 'update', name: 'n2' },
        D,
        "node 'n1' is not allowed to modify node 'n2'",
      ],
      ['patch another node', { resource: 'nodes', verb: 'patch', name: 'n2' }, D],
      ['delete another node', { resource: 'nodes', verb: 'delete', name: 'n2' }, D],
      [
        'update its own node status',
        { resource: 'nodes', subresource: 'status', verb: 'update', name: 'n1' },
        A,
      ],
      [
        'patch its own node status',
        { resource: 'nodes', subresource: 'status', verb: 'patch', name: 'n1' },
        A,
      ],
      [
        'patch another node status',
        { resource: 'nodes', subresource: 'status', verb: 'patch', name: 'n2' },
        D,
      ],
      ['deletecollection nodes', { resource: 'nodes', verb: 'deletecollection' }, N],
      ['proxy to a node', { resource: 'nodes', subresource: 'proxy', name: 'n1' }, N],
      // leases
      ...(['get', 'update', 'patch', 'delete'] as const).flatMap((verb): Case[] => [
        [`${verb} its own lease`, lease(verb, 'n1'), A],
        [
          `${verb} another node's lease`,
          lease(verb, 'n2'),
          N,
          'can only access node lease with the same name as the requesting node',
        ],
      ]),
      ['create a lease', lease('create', ''), A],
      ['list leases', lease('list', ''), N, 'can only get, create, update, patch, or delete a node lease'],
      ['watch leases', lease('watch', ''), N],
      [
        'a lease elsewhere',
        { ...lease('get', 'n1'), namespace: 'kube-system' },
        N,
        'can only access leases in the "kube-node-lease" system namespace',
      ],
      // pods
      ['get its own pod', { namespace: 'default', name: 'p1' }, A],
      ["get another node's pod", { namespace: 'default', name: 'p2' }, N, NO_RELATION],
      ['get an unknown pod', { namespace: 'default', name: 'nope' }, N, NO_RELATION],
      ['get its own pod name in another namespace', { namespace: 'other', name: 'p1' }, N],
      ['list its pods by node', { verb: 'list', selector: 'spec.nodeName=n1' }, A],
      ['watch its pods by node', { verb: 'watch', selector: 'spec.nodeName=n1' }, A],
      [
        'watch its pods by node in a namespace',
        { verb: 'watch', namespace: 'a', selector: 'spec.nodeName=n1' },
        A,
      ],
      [
        'list pods without a selector',
        { verb: 'list' },
        N,
        'can only list/watch pods with spec.nodeName field selector',
      ],
      ["list another node's pods", { verb: 'list', selector: 'spec.nodeName=n2' }, N],
      ['list pods not on another node', { verb: 'list', selector: 'spec.nodeName!=n2' }, N],
      [
        'list pods by name',
        { verb: 'list', namespace: 'default', name: 'p1', selector: 'metadata.name=p1' },
        N,
      ],
      [
        'patch status of its pod',
        { namespace: 'default', name: 'p1', subresource: 'status', verb: 'patch' },
        A,
      ],
      [
        'update status of its pod',
        { namespace: 'default', name: 'p1', subresource: 'status', verb: 'update' },
        A,
      ],
      [
        "patch status of another node's pod",
        { namespace: 'default', name: 'p2', subresource: 'status', verb: 'patch' },
        D,
        "node 'n1' can only update status of pods with spec.nodeName set to itself",
      ],
      ['delete its pod', { namespace: 'default', name: 'p1', verb: 'delete' }, A],
      ["delete another node's pod", { namespace: 'default', name: 'p2', verb: 'delete' }, D],
      ['delete a pending pod', { namespace: 'default', name: 'pending', verb: 'delete' }, D],
      [
        'patch status of a pending pod',
        { namespace: 'default', name: 'pending', verb: 'patch', subresource: 'status' },
        D,
      ],
      // Storage answers 404 for a pod that is gone, as upstream's NodeRestriction lets it.
      ['delete a pod that is gone', { namespace: 'default', name: 'gone', verb: 'delete' }, A],
      ['create a pod', { namespace: 'default', verb: 'create' }, D],
      ['update a pod', { namespace: 'default', name: 'p1', verb: 'update' }, N],
      ['evict its pod', { namespace: 'default', name: 'p1', subresource: 'eviction', verb: 'create' }, A],
      [
        "evict another node's pod",
        { namespace: 'default', name: 'p2', subresource: 'eviction', verb: 'create' },
        D,
      ],
      ['read logs of its pod', { namespace: 'default', name: 'p1', subresource: 'log' }, N],
      // secrets and configmaps
      ['get a secret its pod uses', secret('get', 's1'), A],
      ["get a secret another node's pod uses", secret('get', 's2'), N, NO_RELATION],
      ['list a secret its pod uses by name', secret('list', 's1'), A],
      ['watch a secret its pod uses by name', secret('watch', 's1'), A],
      ["watch another node's secret by name", secret('watch', 's2'), N, NO_RELATION],
      ['list all secrets of a namespace', secret('list', ''), N, 'No Object name found'],
      [
        'watch a secret by name in every namespace',
        { ...secret('watch', 's1'), namespace: '' },
        N,
        'can only read namespaced object of this type',
      ],
      ['update a secret its pod uses', secret('update', 's1'), N, 'can only read resources of this type'],
      ['get a configmap its pod uses', { ...secret('get', 'c1'), resource: 'configmaps' }, A],
      ['watch a configmap its pod uses', { ...secret('watch', 'c1'), resource: 'configmaps' }, A],
      ["get another node's configmap", { ...secret('get', 'c2'), resource: 'configmaps' }, N, NO_RELATION],
      ['get a secret by a configmap name', secret('get', 'c1'), N],
      // everything else a kubelet does
      ['list services', { resource: 'services', verb: 'list' }, A],
      ['watch services', { resource: 'services', verb: 'watch' }, A],
      ['get a service', { resource: 'services', namespace: 'default', name: 'kubernetes' }, A],
      ['update a service', { resource: 'services', namespace: 'default', name: 'x', verb: 'update' }, N],
      ['list endpoints', { resource: 'endpoints', verb: 'list' }, A],
      ['create an event', { resource: 'events', namespace: 'default', verb: 'create' }, A],
      ['patch an event', { resource: 'events', namespace: 'default', name: 'e', verb: 'patch' }, A],
      ['update an event', { resource: 'events', namespace: 'default', name: 'e', verb: 'update' }, A],
      ['delete an event', { resource: 'events', namespace: 'default', name: 'e', verb: 'delete' }, N],
      ['create an events.k8s.io event', { apiGroup: 'events.k8s.io', resource: 'events', verb: 'create' }, A],
      [
        'review its own access',
        { apiGroup: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', verb: 'create' },
        A,
      ],
      ['get a namespace', { resource: 'namespaces', name: 'default', namespace: 'default' }, A],
      ['list namespaces', { resource: 'namespaces', verb: 'list' }, N],
      ['list deployments', { apiGroup: 'apps', resource: 'deployments', verb: 'list' }, N],
      [
        'create a service account token',
        { resource: 'serviceaccounts', subresource: 'token', verb: 'create' },
        N,
      ],
    ]),
  )('a node may %s: %j → %s', (_what, req, verdict, reason) => {
    const decision = authorizeNode(attrs(req), graph);
    expect(decision.verdict).toBe(verdict);
    if (reason !== null) expect(decision.reason).toBe(reason);
  });

  it.each<[string, UserInfo]>([
    ['a user outside system:nodes named like a node', { name: 'system:node:n1', groups: [] }],
    ['a member of system:nodes not named like a node', { name: 'n1', groups: ['system:nodes'] }],
    ['the admin', { name: 'kubicle-admin', groups: ['system:masters'] }],
  ])('has no opinion on %s', (_what, user) => {
    expect(authorizeNode(attrs({ namespace: 'default', name: 'p2', verb: 'delete' }, user), graph)).toEqual({
      verdict: 'no-opinion',
      reason: '',
    });
  });

  it('has no opinion on non-resource requests', () => {
    expect(
      authorizeNode({ kind: 'non-resource', verb: 'get', path: '/healthz', user: n1 }, graph).verdict,
    ).toBe('no-opinion');
  });

  it('denies a node without a name', () => {
    const nameless = { name: 'system:node:', groups: ['system:nodes'] };
    expect(authorizeNode(attrs({ resource: 'nodes' }, nameless), graph)).toEqual({
      verdict: 'deny',
      reason: 'unknown node for user "system:node:"',
    });
  });

  it.each<[string, string[], string | undefined]>([
    ['system:node:n1', ['system:nodes'], 'n1'],
    ['system:node:', ['system:nodes'], ''],
    ['system:node:n1', ['system:authenticated'], undefined],
    ['system:kube-proxy', ['system:nodes'], undefined],
  ])('nodeIdentity(%s, %j) is %j', (name, groups, expected) => {
    expect(nodeIdentity({ name, groups })).toBe(expected);
  });
});

function lease(verb: string, name: string): Request {
  return { apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', verb, name };
}

/** As request-attributes.ts gives them: a list or watch narrowed by metadata.name carries that name. */
function secret(verb: string, name: string): Request {
  return {
    resource: 'secrets',
    namespace: 'default',
    verb,
    name,
    ...(name && verb !== 'get' ? { selector: `metadata.name=${name}` } : {}),
  };
}
