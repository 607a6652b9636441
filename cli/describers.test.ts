// Descriptions show timestamps in the local zone; the expected texts are in UTC.
process.env.TZ = 'UTC';

import type { KubeObject } from '../apiserver/api-object.js';
import {
  describeDeployment,
  describeGeneric,
  describeNode,
  describePod,
  describePodTemplate,
  describeReplicaSet,
  describeService,
  endpointsText,
  qosClassOf,
  smartLabel,
  splitReplicaSets,
} from './describers.js';
import {
  eventInterval,
  formatBytes,
  formatCpu,
  parseQuantity,
  rfc1123z,
  sortEvents,
} from './describe-writer.js';

const now = new Date('2024-01-01T01:00:00Z');

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    namespace: 'prod',
    uid: 'p1',
    labels: { app: 'web', tier: 'fe' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n', note: 'hi' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1', controller: true },
    ],
    creationTimestamp: '2024-01-01T00:00:00Z',
  },
  spec: {
    nodeName: 'node-a',
    serviceAccountName: 'default',
    priority: 0,
    containers: [
      {
        name: 'app',
        image: 'nginx',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        args: ['--a', '--b'],
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        ],
        resources: { requests: { cpu: '100m', memory: '64Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 5 },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
  },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.5',
    podIP: '10.128.0.7',
    podIPs: [{ ip: '10.128.0.7' }],
    startTime: '2024-01-01T00:00:01Z',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'app',
        ready: true,
        restartCount: 1,
        containerID: 'docker://abc',
        imageID: 'nginx@sha256:1',
        state: { running: { startedAt: '2024-01-01T00:00:02Z' } },
        lastState: {
          terminated: {
            exitCode: 137,
            reason: 'OOMKilled',
            startedAt: '2024-01-01T00:00:00Z',
            finishedAt: '2024-01-01T00:00:01Z',
          },
        },
      },
    ],
  },
};

const events: KubeObject[] = [
  {
    metadata: { name: 'e2' },
    type: 'Warning',
    reason: 'BackOff',
    message: 'back-off',
    source: { component: 'kubelet' },
    firstTimestamp: '2024-01-01T00:30:00Z',
    lastTimestamp: '2024-01-01T00:50:00Z',
    count: 3,
  },
  {
    metadata: { name: 'e1' },
    type: 'Normal',
    reason: 'Scheduled',
    message: 'assigned',
    source: { component: 'default-scheduler' },
    firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: '2024-01-01T00:00:00Z',
    count: 1,
  },
];

describe('describePod', () => {
  it('writes kubectl’s sections, aligned as kubectl aligns them', () => {
    // Checked line by line against kubectl 1.32 describing pods of this API server.
    expect(describePod(pod, { now, events }).split('\n')).toEqual([
      'Name:             web-1',
      'Namespace:        prod',
      'Priority:         0',
      'Service Account:  default',
      'Node:             node-a/10.0.0.5',
      'Start Time:       Mon, 01 Jan 2024 00:00:01 +0000',
      'Labels:           app=web',
      '                  tier=fe',
      'Annotations:      note: hi',
      'Status:           Running',
      'IP:               10.128.0.7',
      'IPs:',
      '  IP:           10.128.0.7',
      'Controlled By:  ReplicaSet/web-abc',
      'Containers:',
      '  app:',
      '    Container ID:  docker://abc',
      '    Image:         nginx',
      '    Image ID:      nginx@sha256:1',
      '    Port:          80/TCP',
      '    Host Port:     0/TCP',
      '    Args:',
      '      --a',
      '      --b',
      '    State:          Running',
      '      Started:      Mon, 01 Jan 2024 00:00:02 +0000',
      '    Last State:     Terminated',
      '      Reason:       OOMKilled',
      '      Exit Code:    137',
      '      Started:      Mon, 01 Jan 2024 00:00:00 +0000',
      '      Finished:     Mon, 01 Jan 2024 00:00:01 +0000',
      '    Ready:          True',
      '    Restart Count:  1',
      '    Requests:',
      '      cpu:      100m',
      '      memory:   64Mi',
      '    Readiness:  http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3',
      '    Environment:',
      '      MODE:  prod',
      '      POD:   web-1 (v1:metadata.name)',
      '    Mounts:',
      '      /data from data (rw)',
      'Conditions:',
      '  Type    Status',
      '  Ready   True ',
      'Volumes:',
      '  data:',
      "    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)",
      '    Medium:      ',
      '    SizeLimit:   <unset>',
      'QoS Class:       Burstable',
      'Node-Selectors:  <none>',
      'Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s',
      'Events:',
      '  Type     Reason     Age                From               Message',
      '  ----     ------     ----               ----               -------',
      '  Normal   Scheduled  60m                default-scheduler  assigned',
      '  Warning  BackOff    10m (x3 over 30m)  kubelet            back-off',
      '',
    ]);
  });

  it('says when there are no events, and leaves the section out when not asked', () => {
    expect(describePod(pod, { now, events: [] })).toMatch(/\nEvents:\s+<none>\n$/);
    expect(describePod(pod, { now })).not.toContain('Events:');
  });
});

const template = {
  metadata: { labels: { app: 'web', 'pod-template-hash': 'h2' } },
  spec: { containers: [{ name: 'web', image: 'nginx:2' }] },
};

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'prod',
    uid: 'd1',
    creationTimestamp: '2024-01-01T00:00:00Z',
    generation: 2,
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    template: { metadata: { labels: { app: 'web' } }, spec: template.spec },
  },
  status: {
    replicas: 4,
    updatedReplicas: 3,
    availableReplicas: 3,
    unavailableReplicas: 1,
    conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
  },
};

function replicaSet(name: string, hash: string, image: string, replicas: number, owner = 'd1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'prod',
      uid: `uid-${name}`,
      creationTimestamp: `2024-01-01T00:0${hash.slice(1)}:00Z`,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } },
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': hash } },
        spec: { containers: [{ name: 'web', image }] },
      },
    },
    status: { replicas },
  };
}

describe('describeDeployment', () => {
  const sets = [
    replicaSet('web-h1', 'h1', 'nginx:1', 1),
    replicaSet('web-h2', 'h2', 'nginx:2', 3),
    replicaSet('web-h3', 'h3', 'nginx:3', 0),
    replicaSet('other', 'h4', 'nginx:2', 1, 'someone-else'),
  ];

  it('tells the new ReplicaSet (same template) from the old ones', () => {
    const { newRS, oldRSs } = splitReplicaSets(deployment, sets);
    expect(newRS?.metadata.name).toBe('web-h2');
    expect(oldRSs.map((rs) => rs.metadata.name)).toEqual(['web-h1', 'web-h3']);
  });

  it('summarises replicas, strategy, template, conditions and ReplicaSets', () => {
    const text = describeDeployment(deployment, { now, events: [], replicaSets: sets });
    expect(text).toContain(
      'Replicas:               3 desired | 3 updated | 4 total | 3 available | 1 unavailable\n',
    );
    expect(text).toContain('RollingUpdateStrategy:  25% max unavailable, 25% max surge\n');
    expect(text).toContain(
      'Pod Template:\n  Labels:  app=web\n  Containers:\n   web:\n    Image:         nginx:2\n',
    );
    expect(text).toContain(
      'Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n  Available      True    MinimumReplicasAvailable\n',
    );
    // Old ReplicaSets scaled to zero are not listed.
    expect(text).toContain(
      'OldReplicaSets:  web-h1 (1/1 replicas created)\nNewReplicaSet:   web-h2 (3/3 replicas created)\n',
    );
  });
});

describe('describeReplicaSet', () => {
  it('counts the pods it owns by phase', () => {
    const rs = replicaSet('web-h2', 'h2', 'nginx:2', 3);
    const owned = (phase: string, owner = 'uid-web-h2'): KubeObject => ({
      metadata: {
        name: phase,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner }],
      },
      status: { phase },
    });
    const text = describeReplicaSet(rs, {
      now,
      events: [],
      pods: [
        owned('Running'),
        owned('Running'),
        owned('Pending'),
        owned('Failed'),
        owned('Running', 'other'),
      ],
    });
    expect(text).toContain('Controlled By:  Deployment/web\n');
    expect(text).toContain('Replicas:       3 current / 3 desired\n');
    expect(text).toContain('Pods Status:    2 Running / 1 Waiting / 0 Succeeded / 1 Failed\n');
  });
});

describe('describeService', () => {
  const endpoints: KubeObject = {
    metadata: { name: 'web' },
    subsets: [
      {
        addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }],
        ports: [
          { name: 'http', port: 8080 },
          { name: 'metrics', port: 9090 },
        ],
      },
    ],
  };

  it.each<[string, string]>([
    ['http', '10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...'],
    ['metrics', '10.0.0.1:9090,10.0.0.2:9090,10.0.0.3:9090 + 1 more...'],
    ['none', ''],
  ])('lists the endpoints of port %s', (port, expected) => {
    expect(endpointsText(endpoints, port)).toBe(expected);
  });

  it('writes ports, target ports and endpoints', () => {
    const svc: KubeObject = {
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        type: 'NodePort',
        selector: { app: 'web' },
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        sessionAffinity: 'None',
        externalTrafficPolicy: 'Cluster',
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }],
      },
    };
    const text = describeService(svc, { now, endpoints });
    expect(text).toContain('Selector:                 app=web\nType:                     NodePort\n');
    expect(text).toContain(
      'Port:                     http  80/TCP\nTargetPort:               8080/TCP\nNodePort:                 http  30080/TCP\nEndpoints:                10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...\n',
    );
    expect(
      describeService({ ...svc, spec: { ...(svc.spec as object), ports: [{ port: 80 }] } }, { now }),
    ).toContain('Endpoints:                <none>\n');
  });
});

describe('describeNode', () => {
  it('sums the requests and limits of its pods against what it can allocate', () => {
    const node: KubeObject = {
      metadata: {
        name: 'n1',
        labels: { 'node-role.kubernetes.io/control-plane': '' },
        creationTimestamp: '2024-01-01T00:00:00Z',
      },
      spec: {
        podCIDR: '10.128.0.0/24',
        unschedulable: true,
        taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
      },
      status: {
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
      },
    };
    const podWith = (name: string, requests: object, limits: object): KubeObject => ({
      metadata: { name, namespace: 'prod', creationTimestamp: '2024-01-01T00:30:00Z' },
      spec: { containers: [{ name: 'c', resources: { requests, limits } }] },
    });
    const text = describeNode(node, {
      now,
      pods: [
        podWith('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '2Gi' }),
        podWith('b', { cpu: '1500m' }, {}),
      ],
    });
    expect(text).toContain('Roles:              control-plane\n');
    expect(text).toContain('Taints:             k=v:NoSchedule\nUnschedulable:      true\n');
    expect(text).toContain('Lease:\n  HolderIdentity:  <unset>\n');
    expect(text).toContain('Non-terminated Pods:          (2 in total)\n');
    expect(text).toMatch(/prod\s+a\s+500m \(12%\)\s+1 \(25%\)\s+1Gi \(12%\)\s+2Gi \(25%\)\s+30m\n/);
    expect(text).toMatch(/cpu\s+2 \(50%\)\s+1 \(25%\)\n\s+memory\s+1Gi \(12%\)\s+2Gi \(25%\)\n/);
  });
});

describe('describeGeneric', () => {
  it.each([
    ['apiVersion', 'API Version'],
    ['creationTimestamp', 'Creation Timestamp'],
    ['resourceVersion', 'Resource Version'],
    ['uid', 'UID'],
    ['holderIdentity', 'Holder Identity'],
    ['kubernetes.io/x', 'kubernetes.io/x'],
  ])('labels %s as %s', (field, label) => {
    expect(smartLabel(field)).toBe(label);
  });

  it('lists every field but the ones already shown', () => {
    const text = describeGeneric(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'prod', uid: 'u', labels: { a: 'b' }, managedFields: [{}] },
        data: { key: 'value' },
        list: ['x', { name: 'y' }],
      },
      { now, events: [] },
    );
    expect(text).toBe(
      [
        'Name:         c',
        'Namespace:    prod',
        'Labels:       a=b',
        'Annotations:  <none>',
        'API Version:  v1',
        'Data:',
        '  Key:  value',
        'Kind:   ConfigMap',
        'List:',
        '  x',
        '  Name:  y',
        'Metadata:',
        '  UID:   u',
        'Events:  <none>',
        '',
      ].join('\n'),
    );
  });
});

describe('helpers', () => {
  it('prints pod templates with raw tabs, as rollout history does', () => {
    expect(describePodTemplate(template)).toContain('  Labels:\tapp=web\n\tpod-template-hash=h2\n');
  });

  it.each<[object, string]>([
    [{ containers: [{ name: 'a' }] }, 'BestEffort'],
    [{ containers: [{ resources: { requests: { cpu: '1' } } }] }, 'Burstable'],
    [{ containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' } } }] }, 'Guaranteed'],
    [
      { containers: [{ resources: { requests: { cpu: '500m' }, limits: { cpu: '1', memory: '1Gi' } } }] },
      'Burstable',
    ],
  ])('QoS class of %j is %s', (spec, expected) => {
    expect(qosClassOf(spec as Record<string, unknown>)).toBe(expected);
  });

  it.each<[string, number]>([
    ['100m', 0.1],
    ['2', 2],
    ['64Mi', 64 * 2 ** 20],
    ['1G', 1e9],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1e3', 1000],
  ])('reads the quantity %s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value);
  });

  it('formats summed quantities', () => {
    expect([
      formatCpu(0),
      formatCpu(0.25),
      formatCpu(2),
      formatBytes(0),
      formatBytes(3 * 2 ** 20),
      formatBytes(1e9),
      formatBytes(1001),
    ]).toEqual(['0', '250m', '2', '0', '3Mi', '1G', '1001']);
  });

  it('formats timestamps as Go’s RFC1123Z', () => {
    expect(rfc1123z('2024-03-05T07:08:09Z')).toBe('Tue, 05 Mar 2024 07:08:09 +0000');
  });

  it('orders events oldest first and shows repeats', () => {
    expect(sortEvents(events).map((e) => e.metadata.name)).toEqual(['e1', 'e2']);
    expect(eventInterval(events[0], now)).toBe('10m (x3 over 30m)');
  });
});
