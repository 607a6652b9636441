import type { KubeObject } from '../api-object.js';
import { RESOURCES, type ResourceInfo } from '../resource-registry.js';
import { applyDefaults } from './defaults.js';

function resourceOf(kind: string): ResourceInfo {
  const found = RESOURCES.find((r) => r.kind === kind);
  if (!found) throw new Error(`no resource ${kind}`);
  return found;
}

// Assertions walk deep into the result; a loose type keeps them readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function defaulted(kind: string, obj: KubeObject, old?: KubeObject): Loose {
  return applyDefaults(resourceOf(kind), obj, old);
}

const nginxContainerDefaults = {
  name: 'nginx',
  image: 'nginx',
  imagePullPolicy: 'Always',
  resources: {},
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};

const templateSpecDefaults = {
  containers: [nginxContainerDefaults],
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

describe('applyDefaults on minimal objects, as `kubectl get -o yaml` shows them upstream', () => {
  it('fills a Deployment made by `kubectl create deployment web --image=nginx`', () => {
    const deployment = defaulted('Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
        },
      },
    });
    expect(deployment).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        progressDeadlineSeconds: 600,
        replicas: 1,
        revisionHistoryLimit: 10,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: { metadata: { labels: { app: 'web' } }, spec: templateSpecDefaults },
      },
      status: {},
    });
  });

  it('fills a Pod made by `kubectl run nginx --image=nginx`, admission defaults included', () => {
    const pod = defaulted('Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nginx', namespace: 'default', labels: { run: 'nginx' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
    });
    expect(pod).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nginx', namespace: 'default', labels: { run: 'nginx' } },
      spec: {
        ...templateSpecDefaults,
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
        serviceAccount: 'default',
        serviceAccountName: 'default',
        tolerations: [
          {
            effect: 'NoExecute',
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            tolerationSeconds: 300,
          },
          {
            effect: 'NoExecute',
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            tolerationSeconds: 300,
          },
        ],
      },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
  });

  it('fills a Service made by `kubectl expose deployment web --port=80`', () => {
    const service = defaulted('Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ port: 80 }], selector: { app: 'web' } },
    });
    expect(service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
        selector: { app: 'web' },
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    });
  });

  it('leaves the input untouched', () => {
    const input: KubeObject = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] },
    };
    const snapshot = structuredClone(input);
    const out = defaulted('Pod', input);
    expect(input).toEqual(snapshot);
    expect(out.spec.containers[0].ports[0].protocol).toBe('TCP');
  });

  it.each([
    [
      'Pod',
      {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'nginx' }], serviceAccountName: 'builder', priority: 7 },
      },
    ],
    [
      'Service',
      {
        metadata: { name: 's' },
        spec: {
          type: 'NodePort',
          clusterIP: '10.0.0.9',
          clusterIPs: ['10.0.0.9'],
          ports: [{ name: 'http', port: 80, nodePort: 30080 }],
        },
      },
    ],
    ['Namespace', { metadata: { name: 'n' }, spec: { finalizers: ['kubernetes', 'x'] } }],
  ])('on update, reads the stored %s without changing it or sharing anything with it', (kind, stored) => {
    const old = defaulted(kind, stored as KubeObject) as KubeObject;
    const snapshot = structuredClone(old);
    const update = { metadata: { name: (stored as KubeObject).metadata.name }, spec: {} } as KubeObject;
    const out = defaulted(kind, update, old);
    expect(old).toEqual(snapshot);
    const objectsOf = (value: unknown, found = new Set<unknown>()): Set<unknown> => {
      if (value && typeof value === 'object') {
        found.add(value);
        for (const child of Object.values(value)) objectsOf(child, found);
      }
      return found;
    };
    const shared = [...objectsOf(out)].filter((o) => objectsOf(old).has(o));
    expect(shared).toEqual([]);
  });
});

describe('container defaults', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef', 'IfNotPresent'],
    ['nginx:latest@sha256:0123456789abcdef', 'Always'],
  ])('image %s pulls with %s', (image, policy) => {
    const pod = defaulted('Pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } });
    expect(pod.spec.containers[0].imagePullPolicy).toBe(policy);
  });

  it('keeps an explicit pull policy', () => {
    const pod = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never' }] },
    });
    expect(pod.spec.containers[0].imagePullPolicy).toBe('Never');
  });

  it('defaults probes, lifecycle handlers and downward API references', () => {
    const pod = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx',
            livenessProbe: { httpGet: { port: 8080 } },
            readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 },
            lifecycle: { preStop: { httpGet: { port: 80, path: '/stop' } } },
            env: [
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
            ],
          },
        ],
      },
    });
    const c = pod.spec.containers[0];
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.readinessProbe).toEqual({
      grpc: { port: 9000, service: '' },
      timeoutSeconds: 1,
      periodSeconds: 5,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.lifecycle.preStop.httpGet).toEqual({ port: 80, path: '/stop', scheme: 'HTTP' });
    expect(c.env[0].valueFrom.fieldRef).toEqual({ apiVersion: 'v1', fieldPath: 'spec.nodeName' });
    expect(c.env[1].valueFrom.resourceFieldRef).toEqual({ resource: 'limits.memory', divisor: '0' });
  });

  it('copies limits into missing requests for Pods but not for templates', () => {
    const containers = [{ name: 'c', image: 'nginx', resources: { limits: { cpu: '1', memory: '1Gi' } } }];
    const pod = defaulted('Pod', { metadata: { name: 'p' }, spec: { containers } });
    expect(pod.spec.containers[0].resources.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect(pod.status.qosClass).toBe('Guaranteed');

    const rs = defaulted('ReplicaSet', {
      metadata: { name: 'r' },
      spec: { template: { spec: { containers } } },
    });
    expect(rs.spec.template.spec.containers[0].resources.requests).toBeUndefined();
  });

  it.each([
    [{ requests: { cpu: '100m' } }, 'Burstable'],
    [{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } }, 'Burstable'],
    [{ limits: { cpu: '1000m', memory: '1Gi' }, requests: { cpu: 1 } }, 'Guaranteed'],
    [{}, 'BestEffort'],
  ])('classifies resources %j as %s', (resources, qosClass) => {
    const pod = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x', resources }] },
    });
    expect(pod.status.qosClass).toBe(qosClass);
  });

  it('sets hostPort from containerPort on host-network Pods', () => {
    const pod = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] },
    });
    expect(pod.spec.containers[0].ports[0]).toEqual({ containerPort: 8080, hostPort: 8080, protocol: 'TCP' });
  });
});

describe('pod-level defaults', () => {
  it('defaults volumes the way upstream does', () => {
    const pod = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'c', image: 'x' }],
        volumes: [
          { name: 'scratch' },
          { name: 'cfg', configMap: { name: 'cfg' } },
          { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
          { name: 'host', hostPath: { path: '/var/log' } },
          {
            name: 'token',
            projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
          },
        ],
      },
    });
    expect(pod.spec.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      {
        name: 'token',
        projected: {
          defaultMode: 420,
          sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }],
        },
      },
    ]);
  });

  it('keeps an existing NoExecute toleration instead of adding a default one', () => {
    const pod = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'c', image: 'x' }],
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
      },
    });
    expect(pod.spec.tolerations.map((t: { key: string }) => t.key)).toEqual([
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/unreachable',
    ]);
  });

  it('mirrors serviceAccount and serviceAccountName and resolves critical priorities', () => {
    const pod = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: {
        serviceAccount: 'builder',
        priorityClassName: 'system-node-critical',
        containers: [{ name: 'c', image: 'x' }],
      },
    });
    expect(pod.spec.serviceAccountName).toBe('builder');
    expect(pod.spec.serviceAccount).toBe('builder');
    expect(pod.spec.priority).toBe(2000001000);
  });

  it('keeps admission-set fields from the stored Pod on update', () => {
    const stored = defaulted('Pod', {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    const update = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'y' }], serviceAccountName: '' },
    };
    const out = defaulted(
      'Pod',
      update as KubeObject,
      { ...stored, spec: { ...stored.spec, serviceAccountName: 'sa1' } } as KubeObject,
    );
    expect(out.spec.serviceAccountName).toBe('sa1');
    expect(out.spec.priority).toBe(0);
    expect(out.spec.tolerations).toEqual(stored.spec.tolerations);
  });
});

describe('workload defaults', () => {
  it('defaults a Recreate Deployment without adding rollingUpdate', () => {
    const d = defaulted('Deployment', {
      metadata: { name: 'd' },
      spec: { replicas: 0, strategy: { type: 'Recreate' }, template: { spec: { containers: [] } } },
    });
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.replicas).toBe(0);
  });

  it('fills a DaemonSet update strategy and zeroed status counters', () => {
    const ds = defaulted('DaemonSet', {
      metadata: { name: 'ds' },
      spec: { template: { spec: { containers: [] } } },
    });
    expect(ds.spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
    expect(ds.status).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });
  });

  it('defaults ReplicaSet replicas and status', () => {
    const rs = defaulted('ReplicaSet', {
      metadata: { name: 'r' },
      spec: { template: { spec: { containers: [] } } },
    });
    expect(rs.spec.replicas).toBe(1);
    expect(rs.status).toEqual({ replicas: 0 });
  });
});

describe('service defaults', () => {
  it.each([
    ['NodePort', { externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' }],
    [
      'LoadBalancer',
      {
        externalTrafficPolicy: 'Cluster',
        internalTrafficPolicy: 'Cluster',
        allocateLoadBalancerNodePorts: true,
      },
    ],
  ])('defaults traffic policies for %s', (type, expected) => {
    const svc = defaulted('Service', { metadata: { name: 's' }, spec: { type, ports: [{ port: 80 }] } });
    expect(svc.spec).toMatchObject(expected);
  });

  it('sets no IP fields on ExternalName services', () => {
    const svc = defaulted('Service', {
      metadata: { name: 's' },
      spec: { type: 'ExternalName', externalName: 'example.com' },
    });
    expect(svc.spec.ipFamilies).toBeUndefined();
    expect(svc.spec.ipFamilyPolicy).toBeUndefined();
    expect(svc.spec.internalTrafficPolicy).toBeUndefined();
  });

  it('makes selectorless headless services RequireDualStack', () => {
    const svc = defaulted('Service', {
      metadata: { name: 's' },
      spec: { clusterIP: 'None', ports: [{ port: 80 }] },
    });
    expect(svc.spec).toMatchObject({
      clusterIPs: ['None'],
      ipFamilyPolicy: 'RequireDualStack',
      ipFamilies: ['IPv4', 'IPv6'],
    });
  });

  it('keeps a named targetPort and adds session affinity config for ClientIP', () => {
    const svc = defaulted('Service', {
      metadata: { name: 's' },
      spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 'http' }] },
    });
    expect(svc.spec.ports[0].targetPort).toBe('http');
    expect(svc.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  it('carries allocated cluster IPs and node ports over on update', () => {
    const stored = defaulted('Service', {
      metadata: { name: 's' },
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      },
    });
    const updated = defaulted(
      'Service',
      { metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 8080 }] } },
      stored as KubeObject,
    );
    expect(updated.spec.clusterIP).toBe('10.96.0.10');
    expect(updated.spec.clusterIPs).toEqual(['10.96.0.10']);
    expect(updated.spec.ports[0].nodePort).toBe(30080);
  });
});

describe('other kinds', () => {
  it('folds Secret stringData into data and defaults the type', () => {
    const secret = defaulted('Secret', {
      metadata: { name: 's' },
      data: { a: 'eA==' },
      stringData: { b: 'hello' },
    });
    expect(secret).toEqual({ metadata: { name: 's' }, type: 'Opaque', data: { a: 'eA==', b: 'aGVsbG8=' } });
  });

  it('gives a new Namespace its name label, the kubernetes finalizer and phase Active', () => {
    const ns = defaulted('Namespace', { metadata: { name: 'team' } });
    expect(ns).toEqual({
      metadata: { name: 'team', labels: { 'kubernetes.io/metadata.name': 'team' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it('keeps stored Namespace finalizers on update, since only /finalize changes them', () => {
    const stored = { metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] } };
    const added = defaulted(
      'Namespace',
      { metadata: { name: 'team' }, spec: { finalizers: ['kubernetes', 'x/y'] } },
      stored,
    );
    expect(added.spec.finalizers).toEqual(['kubernetes']);
    const removed = defaulted('Namespace', { metadata: { name: 'team' } }, stored);
    expect(removed.spec.finalizers).toEqual(['kubernetes']);
  });

  it('derives Node allocatable from capacity', () => {
    const node = defaulted('Node', {
      metadata: { name: 'n' },
      status: { capacity: { cpu: '4', pods: '110' } },
    });
    expect(node.status.allocatable).toEqual({ cpu: '4', pods: '110' });
    expect(node.status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 0 } });
    expect(node.spec).toEqual({});
  });

  it('defaults Endpoints port protocols', () => {
    const ep = defaulted('Endpoints', {
      metadata: { name: 'e' },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
    });
    expect(ep.subsets[0].ports[0].protocol).toBe('TCP');
  });

  it('fills the always-serialised Event fields', () => {
    const event = defaulted('Event', { metadata: { name: 'e' }, reason: 'Started' });
    expect(event).toMatchObject({
      involvedObject: {},
      source: {},
      eventTime: null,
      firstTimestamp: null,
      lastTimestamp: null,
      reportingComponent: '',
      reportingInstance: '',
    });
  });

  it('leaves kinds without defaults alone', () => {
    const cm = { metadata: { name: 'c' }, data: { a: 'b' } };
    expect(defaulted('ConfigMap', cm)).toEqual(cm);
  });
});

describe('idempotence', () => {
  // A second pass must change nothing, or every update of a stored object would look like a change.
  it.each<[string, KubeObject]>([
    [
      'Pod',
      {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '1' } } }] },
      },
    ],
    [
      'Deployment',
      { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } },
    ],
    [
      'DaemonSet',
      { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } },
    ],
    ['Service', { metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } }],
    ['Secret', { metadata: { name: 's' }, stringData: { a: 'b' } }],
    ['Namespace', { metadata: { name: 'n' } }],
    ['Node', { metadata: { name: 'n' }, status: { capacity: { cpu: '2' } } }],
    ['Event', { metadata: { name: 'e' } }],
  ])('%s', (kind, obj) => {
    const once = defaulted(kind, obj);
    expect(defaulted(kind, once)).toEqual(once);
    expect(defaulted(kind, once, once)).toEqual(once);
  });
});
