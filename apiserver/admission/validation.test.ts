import type { KubeObject } from '../api-object.js';
import { RESOURCES, type ResourceInfo } from '../resource-registry.js';
import { applyDefaults } from './defaults.js';
import type { FieldCause } from './field-error.js';
import { validateObject, validationError } from './validation.js';

// Test objects are edited freely; a loose type keeps the tables short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function resourceOf(kind: string): ResourceInfo {
  const found = RESOURCES.find((r) => r.kind === kind);
  if (!found) throw new Error(`no resource ${kind}`);
  return found;
}

/** What the API server does on a write: default, then validate (against the defaulted stored object). */
function admit(kind: string, obj: Loose, old?: Loose): FieldCause[] {
  const resource = resourceOf(kind);
  const storedOld = old === undefined ? undefined : applyDefaults(resource, old);
  return validateObject(resource, applyDefaults(resource, obj, storedOld), storedOld);
}

function edited<T>(base: T, edit: (obj: Loose) => void): T {
  const copy = structuredClone(base);
  edit(copy);
  return copy;
}

const DNS1123_SUBDOMAIN_ERROR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL_ERROR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        ports: [{ name: 'http', containerPort: 80 }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        livenessProbe: { httpGet: { port: 'http' } },
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
        env: [{ name: 'MODE', value: 'prod' }],
      },
    ],
    initContainers: [{ name: 'setup', image: 'busybox', command: ['true'] }],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
};

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web', tier: 'front' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
    },
  },
};

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
};

type Case = [string, Loose, Partial<FieldCause>];

function expectCause(causes: FieldCause[], expected: Partial<FieldCause>): void {
  expect(causes).toContainEqual(expect.objectContaining(expected));
}

describe('valid objects pass', () => {
  it.each<[string, Loose]>([
    ['Pod', pod],
    ['Deployment', deployment],
    ['ReplicaSet', { ...deployment, kind: 'ReplicaSet' }],
    [
      'DaemonSet',
      {
        metadata: { name: 'agent', namespace: 'kube-system' },
        spec: {
          selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['agent'] }] },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { containers: [{ name: 'a', image: 'agent' }] },
          },
        },
      },
    ],
    ['Service', service],
    [
      'Service',
      {
        metadata: { name: 'db', namespace: 'default' },
        spec: { clusterIP: 'None', selector: { app: 'db' } },
      },
    ],
    [
      'Service',
      {
        metadata: { name: 'np', namespace: 'default' },
        spec: {
          type: 'NodePort',
          clusterIP: '10.96.0.20',
          ports: [
            { name: 'http', port: 80, nodePort: 30080 },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        },
      },
    ],
    [
      'Service',
      {
        metadata: { name: 'ext', namespace: 'default' },
        spec: { type: 'ExternalName', externalName: 'example.com.' },
      },
    ],
    [
      'ConfigMap',
      { metadata: { name: 'cfg', namespace: 'default' }, data: { 'app.properties': 'a=b', KEY_1: 'x' } },
    ],
    ['Secret', { metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } }],
    [
      'Secret',
      {
        metadata: { name: 'tls', namespace: 'default' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' },
      },
    ],
    ['Namespace', { metadata: { name: 'team-a' } }],
    [
      'Node',
      {
        metadata: { name: 'node-1.example.com' },
        spec: {
          podCIDRs: ['10.244.1.0/24'],
          taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        },
      },
    ],
    [
      'Endpoints',
      {
        metadata: { name: 'web', namespace: 'default' },
        subsets: [{ addresses: [{ ip: '172.17.0.5', nodeName: 'node-1' }], ports: [{ port: 8080 }] }],
      },
    ],
    [
      'Event',
      {
        metadata: { name: 'web.17a', namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
        reason: 'Scheduled',
        message: 'Successfully assigned',
      },
    ],
    ['ServiceAccount', { metadata: { name: 'builder', namespace: 'default' } }],
    [
      'Lease',
      {
        metadata: { name: 'node-1', namespace: 'kube-node-lease' },
        spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 },
      },
    ],
  ])('%s', (kind, obj) => {
    expect(admit(kind, obj)).toEqual([]);
  });
});

describe('object metadata', () => {
  it.each<[string, string, Loose, Partial<FieldCause>]>([
    [
      'a Pod name must be a DNS subdomain',
      'Pod',
      edited(pod, (p) => (p.metadata.name = 'Web_1')),
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "Web_1": ${DNS1123_SUBDOMAIN_ERROR}`,
      },
    ],
    [
      'a name or generateName is required',
      'ConfigMap',
      { metadata: { namespace: 'default' } },
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ],
    [
      'a generateName prefix may end in a dash but must otherwise be valid',
      'ConfigMap',
      { metadata: { name: 'ok-x1', generateName: 'Bad-', namespace: 'default' } },
      { field: 'metadata.generateName', message: `Invalid value: "Bad-": ${DNS1123_SUBDOMAIN_ERROR}` },
    ],
    [
      'a namespace name is a DNS label, so dots are refused',
      'Namespace',
      { metadata: { name: 'team.a' } },
      { field: 'metadata.name', message: 'Invalid value: "team.a": must not contain dots' },
    ],
    [
      'namespace names have at most 63 characters',
      'Namespace',
      { metadata: { name: 'a'.repeat(64) } },
      {
        field: 'metadata.name',
        message: `Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`,
      },
    ],
    [
      'a Service name is a DNS-1035 label',
      'Service',
      edited(service, (s) => (s.metadata.name = '1web')),
      {
        field: 'metadata.name',
        message:
          "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      },
    ],
    [
      'namespaced kinds need a namespace',
      'ConfigMap',
      { metadata: { name: 'c' } },
      { reason: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' },
    ],
    [
      'cluster-scoped kinds refuse a namespace',
      'Node',
      { metadata: { name: 'n', namespace: 'default' } },
      {
        reason: 'FieldValueForbidden',
        field: 'metadata.namespace',
        message: 'Forbidden: not allowed on this type',
      },
    ],
    [
      'label values have at most 63 characters',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default', labels: { app: 'x'.repeat(64) } } },
      {
        field: 'metadata.labels',
        message: `Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`,
      },
    ],
    [
      'label keys are qualified names',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default', labels: { 'example.com/a/b': 'x' } } },
      {
        field: 'metadata.labels',
        message:
          "Invalid value: \"example.com/a/b\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      },
    ],
    [
      'label key prefixes are DNS subdomains',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default', labels: { 'Example.com/app': 'x' } } },
      {
        field: 'metadata.labels',
        message: `Invalid value: "Example.com/app": prefix part ${DNS1123_SUBDOMAIN_ERROR}`,
      },
    ],
    [
      'annotations may not exceed 256KiB in total',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default', annotations: { big: 'x'.repeat(256 * 1024) } } },
      {
        reason: 'FieldValueTooLong',
        field: 'metadata.annotations',
        message: 'Too long: must have at most 262144 bytes',
      },
    ],
    [
      'only one owner reference may be the controller',
      'ConfigMap',
      {
        metadata: {
          name: 'c',
          namespace: 'default',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
          ],
        },
      },
      {
        field: 'metadata.ownerReferences',
        message:
          'Invalid value: "ReplicaSet/a, ReplicaSet/b": Only one reference can have Controller set to true',
      },
    ],
  ])('%s', (_, kind, obj, expected) => {
    expectCause(admit(kind, obj), expected);
  });

  it('accepts annotation keys in any case and label values that are empty', () => {
    expect(
      admit('ConfigMap', {
        metadata: {
          name: 'c',
          namespace: 'default',
          labels: { empty: '' },
          annotations: { 'Example.COM/Key': 'v' },
        },
      }),
    ).toEqual([]);
  });

  it('refuses identity changes and new finalizers on terminating objects', () => {
    const stored = {
      metadata: {
        name: 'c',
        namespace: 'default',
        uid: 'u1',
        deletionTimestamp: '2026-01-01T00:00:00Z',
        finalizers: ['a.io/x'],
      },
    };
    const causes = admit(
      'ConfigMap',
      { metadata: { ...stored.metadata, uid: 'u2', finalizers: ['a.io/x', 'b.io/y'] } },
      stored,
    );
    expectCause(causes, { field: 'metadata.uid', message: 'Invalid value: "u2": field is immutable' });
    expectCause(causes, {
      reason: 'FieldValueForbidden',
      field: 'metadata.finalizers',
      message:
        'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
    });
  });
});

describe('Pod spec', () => {
  const cases: Case[] = [
    [
      'containers are required',
      edited(pod, (p) => (p.spec.containers = [])),
      { reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' },
    ],
    [
      'container names are DNS labels',
      edited(pod, (p) => (p.spec.containers[0].name = 'App')),
      { field: 'spec.containers[0].name', message: `Invalid value: "App": ${DNS1123_LABEL_ERROR}` },
    ],
    [
      'container names are unique across init and app containers',
      edited(pod, (p) => (p.spec.initContainers[0].name = 'app')),
      {
        reason: 'FieldValueDuplicate',
        field: 'spec.initContainers[0].name',
        message: 'Duplicate value: "app"',
      },
    ],
    [
      'an image is required',
      edited(pod, (p) => delete p.spec.containers[0].image),
      { reason: 'FieldValueRequired', field: 'spec.containers[0].image', message: 'Required value' },
    ],
    [
      'container ports are 1-65535',
      edited(pod, (p) => (p.spec.containers[0].ports[0].containerPort = 70000)),
      {
        field: 'spec.containers[0].ports[0].containerPort',
        message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
      },
    ],
    [
      'port protocols are TCP, UDP or SCTP',
      edited(pod, (p) => (p.spec.containers[0].ports[0].protocol = 'HTTP')),
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.containers[0].ports[0].protocol',
        message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      },
    ],
    [
      'restartPolicy is Always, OnFailure or Never',
      edited(pod, (p) => (p.spec.restartPolicy = 'Sometimes')),
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.restartPolicy',
        message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      },
    ],
    [
      'volume names are unique',
      edited(pod, (p) => p.spec.volumes.push({ name: 'data', configMap: { name: 'c' } })),
      { reason: 'FieldValueDuplicate', field: 'spec.volumes[1].name', message: 'Duplicate value: "data"' },
    ],
    [
      'a volume has exactly one source',
      edited(pod, (p) => (p.spec.volumes[0].hostPath = { path: '/tmp' })),
      {
        reason: 'FieldValueForbidden',
        field: 'spec.volumes[0].emptyDir',
        message: 'Forbidden: may not specify more than 1 volume type',
      },
    ],
    [
      'volume mounts must name a volume',
      edited(pod, (p) => (p.spec.containers[0].volumeMounts[0].name = 'missing')),
      {
        reason: 'FieldValueNotFound',
        field: 'spec.containers[0].volumeMounts[0].name',
        message: 'Not found: "missing"',
      },
    ],
    [
      'secret volumes need a secretName',
      edited(pod, (p) => (p.spec.volumes[0] = { name: 'data', secret: {} })),
      { field: 'spec.volumes[0].secret.secretName', message: 'Required value' },
    ],
    [
      'probes need a handler',
      edited(pod, (p) => (p.spec.containers[0].livenessProbe = { periodSeconds: 5 })),
      {
        reason: 'FieldValueRequired',
        field: 'spec.containers[0].livenessProbe',
        message: 'Required value: must specify a handler type',
      },
    ],
    [
      'probes have exactly one handler',
      edited(pod, (p) => (p.spec.containers[0].livenessProbe.tcpSocket = { port: 80 })),
      {
        reason: 'FieldValueForbidden',
        field: 'spec.containers[0].livenessProbe.tcpSocket',
        message: 'Forbidden: may not specify more than 1 handler type',
      },
    ],
    [
      'liveness probes succeed after exactly one success',
      edited(pod, (p) => (p.spec.containers[0].livenessProbe.successThreshold = 2)),
      { field: 'spec.containers[0].livenessProbe.successThreshold', message: 'Invalid value: 2: must be 1' },
    ],
    [
      'probe timings are non-negative',
      edited(pod, (p) => (p.spec.containers[0].livenessProbe.initialDelaySeconds = -1)),
      {
        field: 'spec.containers[0].livenessProbe.initialDelaySeconds',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ],
    [
      'named probe ports must be valid port names',
      edited(pod, (p) => (p.spec.containers[0].livenessProbe.httpGet.port = 'HTTP')),
      {
        field: 'spec.containers[0].livenessProbe.httpGet.port',
        message:
          'Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      },
    ],
    [
      'requests may not exceed limits',
      edited(pod, (p) => (p.spec.containers[0].resources.requests.cpu = '2')),
      {
        field: 'spec.containers[0].resources.requests',
        message: 'Invalid value: "2": must be less than or equal to cpu limit of 1',
      },
    ],
    [
      'requests compare exactly across units',
      edited(pod, (p) => (p.spec.containers[0].resources.requests.memory = '129Mi')),
      {
        field: 'spec.containers[0].resources.requests',
        message: 'Invalid value: "129Mi": must be less than or equal to memory limit of 128Mi',
      },
    ],
    [
      'quantities must parse',
      edited(pod, (p) => (p.spec.containers[0].resources.limits.cpu = 'lots')),
      {
        field: 'spec.containers[0].resources.limits[cpu]',
        message:
          'Invalid value: "lots": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
      },
    ],
    [
      'resource names must be standard for containers',
      edited(pod, (p) => (p.spec.containers[0].resources.limits.pods = '1')),
      {
        field: 'spec.containers[0].resources.limits[pods]',
        message: 'Invalid value: "pods": must be a standard resource for containers',
      },
    ],
    [
      'env var names may not contain =',
      edited(pod, (p) => (p.spec.containers[0].env[0].name = 'A=B')),
      {
        field: 'spec.containers[0].env[0].name',
        message:
          'Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
      },
    ],
    [
      'env vars take value or valueFrom, not both',
      edited(
        pod,
        (p) => (p.spec.containers[0].env[0].valueFrom = { fieldRef: { fieldPath: 'metadata.name' } }),
      ),
      {
        field: 'spec.containers[0].env[0].valueFrom',
        message: 'Invalid value: "": may not be specified when `value` is not empty',
      },
    ],
    [
      'downward API env only exposes known fields',
      edited(
        pod,
        (p) =>
          (p.spec.containers[0].env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.host' } } }]),
      ),
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath',
        message:
          'Unsupported value: "spec.host": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      },
    ],
    [
      'init containers without restartPolicy Always may not have probes',
      edited(pod, (p) => (p.spec.initContainers[0].readinessProbe = { exec: { command: ['true'] } })),
      {
        reason: 'FieldValueForbidden',
        field: 'spec.initContainers[0].readinessProbe',
        message: 'Forbidden: may not be set for init containers without restartPolicy=Always',
      },
    ],
    [
      'tolerations with an empty key must use Exists',
      edited(pod, (p) => (p.spec.tolerations = [{ operator: 'Equal', value: 'x' }])),
      {
        field: 'spec.tolerations[0].operator',
        message:
          'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      },
    ],
    [
      'host-network pods need hostPort equal to containerPort',
      edited(pod, (p) => {
        p.spec.hostNetwork = true;
        p.spec.containers[0].ports[0].hostPort = 81;
      }),
      {
        field: 'spec.containers[0].ports[0].hostPort',
        message: 'Invalid value: 81: must match `containerPort` when `hostNetwork` is true',
      },
    ],
    [
      'activeDeadlineSeconds is positive',
      edited(pod, (p) => (p.spec.activeDeadlineSeconds = 0)),
      {
        field: 'spec.activeDeadlineSeconds',
        message: 'Invalid value: 0: must be between 1 and 2147483647, inclusive',
      },
    ],
    [
      'dnsPolicy None requires dnsConfig',
      edited(pod, (p) => (p.spec.dnsPolicy = 'None')),
      {
        field: 'spec.dnsConfig',
        message: 'Required value: must provide `dnsConfig` when `dnsPolicy` is None',
      },
    ],
  ];

  it.each(cases)('%s', (_, obj, expected) => {
    expectCause(admit('Pod', obj), expected);
  });

  it('reports every problem, not just the first', () => {
    const causes = admit(
      'Pod',
      edited(pod, (p) => {
        p.spec.containers[0].image = '';
        p.spec.restartPolicy = 'Sometimes';
      }),
    );
    expect(causes.map((c) => c.field)).toEqual(['spec.containers[0].image', 'spec.restartPolicy']);
  });
});

describe('Pod updates', () => {
  const stored = edited(pod, (p) => (p.spec.nodeName = 'node-1'));

  it('allows changing an image and adding a toleration', () => {
    const update = edited(stored, (p) => {
      p.spec.containers[0].image = 'nginx:1.28';
      p.spec.tolerations = [
        ...(applyDefaults(resourceOf('Pod'), stored) as Loose).spec.tolerations,
        { key: 'k', operator: 'Exists', effect: 'NoSchedule' },
      ];
    });
    expect(admit('Pod', update, stored)).toEqual([]);
  });

  it('forbids other spec changes with upstream message', () => {
    const causes = admit(
      'Pod',
      edited(stored, (p) => (p.spec.containers[0].ports[0].containerPort = 8080)),
      stored,
    );
    expect(causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'spec',
        message: expect.stringMatching(
          /^Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`,`spec\.initContainers\[\*\]\.image`,`spec\.activeDeadlineSeconds`,`spec\.tolerations` \(only additions to existing tolerations\),`spec\.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n {2}core\.PodSpec\{\n- \tContainers: /,
        ),
      },
    ]);
  });

  it('forbids adding containers', () => {
    const causes = admit(
      'Pod',
      edited(stored, (p) => p.spec.containers.push({ name: 'side', image: 'x' })),
      stored,
    );
    expect(causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'spec.containers',
        message: 'Forbidden: pod updates may not add or remove containers',
      },
    ]);
  });

  it('forbids removing existing tolerations', () => {
    const withToleration = edited(stored, (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists' }]));
    const causes = admit(
      'Pod',
      edited(withToleration, (p) => (p.spec.tolerations = [])),
      withToleration,
    );
    expectCause(causes, {
      field: 'spec.tolerations',
      message: 'Forbidden: existing toleration can not be modified except its tolerationSeconds',
    });
  });

  it('only lets activeDeadlineSeconds shrink', () => {
    const withDeadline = edited(stored, (p) => (p.spec.activeDeadlineSeconds = 60));
    expect(
      admit(
        'Pod',
        edited(withDeadline, (p) => (p.spec.activeDeadlineSeconds = 30)),
        withDeadline,
      ),
    ).toEqual([]);
    expectCause(
      admit(
        'Pod',
        edited(withDeadline, (p) => (p.spec.activeDeadlineSeconds = 120)),
        withDeadline,
      ),
      {
        field: 'spec.activeDeadlineSeconds',
        message: 'Invalid value: 120: must be less than or equal to previous value',
      },
    );
  });
});

describe('workloads', () => {
  const replicaSet = { ...deployment, kind: 'ReplicaSet' };
  const daemonSet = edited(deployment, (d) => delete d.spec.replicas);

  it.each<[string, string, Loose, Partial<FieldCause>]>([
    [
      'replicas are non-negative',
      'Deployment',
      edited(deployment, (d) => (d.spec.replicas = -1)),
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ],
    [
      'the selector is required',
      'Deployment',
      edited(deployment, (d) => delete d.spec.selector),
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
    ],
    [
      'a missing selector matches no template',
      'Deployment',
      edited(deployment, (d) => delete d.spec.selector),
      {
        field: 'spec.template.metadata.labels',
        message:
          'Invalid value: map[string]string{"app":"web", "tier":"front"}: `selector` does not match template `labels`',
      },
    ],
    [
      'an empty selector is refused',
      'Deployment',
      edited(deployment, (d) => (d.spec.selector = { matchLabels: {} })),
      {
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      },
    ],
    [
      'the selector must match the template labels',
      'Deployment',
      edited(deployment, (d) => (d.spec.template.metadata.labels = { app: 'other' })),
      {
        field: 'spec.template.metadata.labels',
        message:
          'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
      },
    ],
    [
      'match expressions count too',
      'Deployment',
      edited(
        deployment,
        (d) => (d.spec.selector.matchExpressions = [{ key: 'tier', operator: 'NotIn', values: ['front'] }]),
      ),
      {
        field: 'spec.template.metadata.labels',
        message: expect.stringContaining('`selector` does not match template `labels`'),
      },
    ],
    [
      'selector operators are validated',
      'Deployment',
      edited(deployment, (d) => (d.spec.selector.matchExpressions = [{ key: 'tier', operator: 'In' }])),
      {
        field: 'spec.selector.matchExpressions[0].values',
        message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
      },
    ],
    [
      'templates must restart Always',
      'Deployment',
      edited(deployment, (d) => (d.spec.template.spec.restartPolicy = 'Never')),
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.template.spec.restartPolicy',
        message: 'Unsupported value: "Never": supported values: "Always"',
      },
    ],
    [
      'template pod specs are validated in place',
      'Deployment',
      edited(deployment, (d) => (d.spec.template.spec.containers[0].name = 'Bad')),
      {
        field: 'spec.template.spec.containers[0].name',
        message: `Invalid value: "Bad": ${DNS1123_LABEL_ERROR}`,
      },
    ],
    [
      'template labels are checked at template.labels, as upstream reports them',
      'Deployment',
      edited(deployment, (d) => (d.spec.template.metadata.labels.bad = 'a b')),
      {
        field: 'spec.template.labels',
        message: expect.stringContaining('Invalid value: "a b": a valid label must be'),
      },
    ],
    [
      'maxSurge and maxUnavailable may not both be 0',
      'Deployment',
      edited(
        deployment,
        (d) =>
          (d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }),
      ),
      {
        field: 'spec.strategy.rollingUpdate.maxUnavailable',
        message: 'Invalid value: 0%: may not be 0 when `maxSurge` is 0',
      },
    ],
    [
      'maxUnavailable is at most 100%',
      'Deployment',
      edited(deployment, (d) => (d.spec.strategy = { rollingUpdate: { maxUnavailable: '150%' } })),
      {
        field: 'spec.strategy.rollingUpdate.maxUnavailable',
        message: 'Invalid value: 150%: must not be greater than 100%',
      },
    ],
    [
      'percentages must look like percentages',
      'Deployment',
      edited(deployment, (d) => (d.spec.strategy = { rollingUpdate: { maxSurge: 'lots' } })),
      {
        field: 'spec.strategy.rollingUpdate.maxSurge',
        message:
          "Invalid value: lots: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      },
    ],
    [
      'strategy types are Recreate or RollingUpdate',
      'Deployment',
      edited(deployment, (d) => (d.spec.strategy = { type: 'BlueGreen' })),
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.strategy',
        message:
          'Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
      },
    ],
    [
      'Recreate takes no rollingUpdate',
      'Deployment',
      edited(deployment, (d) => (d.spec.strategy = { type: 'Recreate', rollingUpdate: {} })),
      {
        field: 'spec.strategy.rollingUpdate',
        message: "Forbidden: may not be specified when strategy `type` is 'Recreate'",
      },
    ],
    [
      'progressDeadlineSeconds exceeds minReadySeconds',
      'Deployment',
      edited(deployment, (d) => (d.spec.minReadySeconds = 600)),
      {
        field: 'spec.progressDeadlineSeconds',
        message: 'Invalid value: 600: must be greater than minReadySeconds',
      },
    ],
    [
      'ReplicaSets share the deployment selector message',
      'ReplicaSet',
      edited(replicaSet, (r) => (r.spec.selector = {})),
      {
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      },
    ],
    [
      'ReplicaSet templates may not set activeDeadlineSeconds',
      'ReplicaSet',
      edited(replicaSet, (r) => (r.spec.template.spec.activeDeadlineSeconds = 10)),
      {
        field: 'spec.template.spec.activeDeadlineSeconds',
        message: 'Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
      },
    ],
    [
      'DaemonSets refuse an empty selector',
      'DaemonSet',
      edited(daemonSet, (d) => (d.spec.selector = {})),
      { field: 'spec.selector', message: expect.stringContaining('empty selector is invalid for daemonset') },
    ],
    [
      'DaemonSets roll with either surge or unavailability',
      'DaemonSet',
      edited(
        daemonSet,
        (d) => (d.spec.updateStrategy = { rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } }),
      ),
      {
        field: 'spec.updateStrategy.rollingUpdate.maxSurge',
        message: 'Invalid value: 1: may not be set when maxUnavailable is non-zero',
      },
    ],
    [
      'DaemonSets need one of them non-zero',
      'DaemonSet',
      edited(
        daemonSet,
        (d) => (d.spec.updateStrategy = { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }),
      ),
      {
        reason: 'FieldValueRequired',
        field: 'spec.updateStrategy.rollingUpdate.maxUnavailable',
        message: 'Required value: cannot be 0 when maxSurge is 0',
      },
    ],
    [
      'DaemonSet update strategies are RollingUpdate or OnDelete',
      'DaemonSet',
      edited(daemonSet, (d) => (d.spec.updateStrategy = { type: 'Never' })),
      {
        field: 'spec.updateStrategy',
        message:
          'Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Never", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
      },
    ],
  ])('%s', (_, kind, obj, expected) => {
    expectCause(admit(kind, obj), expected);
  });

  it.each(['Deployment', 'ReplicaSet', 'DaemonSet'])('%s selectors are immutable in apps/v1', (kind) => {
    const stored = kind === 'DaemonSet' ? daemonSet : { ...deployment, kind };
    const update = edited(stored, (d) => (d.spec.selector = { matchLabels: { app: 'web', tier: 'front' } }));
    expect(admit(kind, update, stored)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      },
    ]);
  });

  it('allows scaling and template changes on update', () => {
    const update = edited(deployment, (d) => {
      d.spec.replicas = 5;
      d.spec.template.spec.containers[0].image = 'nginx:1.28';
    });
    expect(admit('Deployment', update, deployment)).toEqual([]);
  });
});

describe('Service', () => {
  it.each<[string, Loose, Partial<FieldCause>]>([
    [
      'ports are required unless headless',
      edited(service, (s) => delete s.spec.ports),
      { reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' },
    ],
    [
      'ports need names when there are several',
      edited(service, (s) => s.spec.ports.push({ port: 443 })),
      { reason: 'FieldValueRequired', field: 'spec.ports[1].name', message: 'Required value' },
    ],
    [
      'port names are unique',
      edited(
        service,
        (s) =>
          (s.spec.ports = [
            { name: 'web', port: 80 },
            { name: 'web', port: 443 },
          ]),
      ),
      { reason: 'FieldValueDuplicate', field: 'spec.ports[1].name', message: 'Duplicate value: "web"' },
    ],
    [
      'the same port and protocol may appear once',
      edited(
        service,
        (s) =>
          (s.spec.ports = [
            { name: 'a', port: 80 },
            { name: 'b', port: 80 },
          ]),
      ),
      {
        reason: 'FieldValueDuplicate',
        field: 'spec.ports[1]',
        message:
          'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      },
    ],
    [
      'ports are 1-65535',
      edited(service, (s) => (s.spec.ports[0].port = 0)),
      { field: 'spec.ports[0].port', message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
    ],
    [
      'service types are the four upstream ones',
      edited(service, (s) => (s.spec.type = 'Ingress')),
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.type',
        message:
          'Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      },
    ],
    [
      'node ports lie in 30000-32767',
      edited(service, (s) => {
        s.spec.type = 'NodePort';
        s.spec.ports[0].nodePort = 8080;
      }),
      {
        field: 'spec.ports[0].nodePort',
        message:
          'Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
      },
    ],
    [
      'ClusterIP services take no node port',
      edited(service, (s) => (s.spec.ports[0].nodePort = 30080)),
      {
        reason: 'FieldValueForbidden',
        field: 'spec.ports[0].nodePort',
        message: "Forbidden: may not be used when `type` is 'ClusterIP'",
      },
    ],
    [
      'clusterIP is None or an IP address',
      edited(service, (s) => (s.spec.clusterIP = '10.96.0.300')),
      {
        field: 'spec.clusterIPs[0]',
        message:
          'Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      },
    ],
    [
      'NodePort services cannot be headless',
      edited(service, (s) => {
        s.spec.type = 'NodePort';
        s.spec.clusterIP = 'None';
      }),
      {
        field: 'spec.clusterIPs[0]',
        message: 'Invalid value: "None": may not be set to \'None\' for NodePort services',
      },
    ],
    [
      'ExternalName services need a name',
      { metadata: { name: 'e', namespace: 'default' }, spec: { type: 'ExternalName' } },
      { reason: 'FieldValueRequired', field: 'spec.externalName', message: 'Required value' },
    ],
    [
      'selector values are label values',
      edited(service, (s) => (s.spec.selector.app = 'not valid')),
      {
        field: 'spec.selector',
        message: expect.stringContaining('Invalid value: "not valid": a valid label must be'),
      },
    ],
    [
      'session affinity is None or ClientIP',
      edited(service, (s) => (s.spec.sessionAffinity = 'Cookie')),
      {
        field: 'spec.sessionAffinity',
        message: 'Unsupported value: "Cookie": supported values: "ClientIP", "None"',
      },
    ],
    [
      'externalTrafficPolicy is only for externally reachable services',
      edited(service, (s) => (s.spec.externalTrafficPolicy = 'Local')),
      {
        field: 'spec.externalTrafficPolicy',
        message: 'Invalid value: "Local": may only be set for externally-accessible services',
      },
    ],
  ])('%s', (_, obj, expected) => {
    expectCause(admit('Service', obj), expected);
  });

  it('keeps an allocated clusterIP immutable', () => {
    const stored = edited(service, (s) => (s.spec.clusterIP = '10.96.0.10'));
    expect(
      admit(
        'Service',
        edited(service, (s) => (s.spec.clusterIP = '10.96.0.11')),
        stored,
      ),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIPs[0]',
        message: 'Invalid value: []string{"10.96.0.11"}: field is immutable',
      },
    ]);
    // An update that omits the IP keeps the stored one, as `kubectl apply` relies on.
    expect(admit('Service', service, stored)).toEqual([]);
  });
});

describe('ConfigMap and Secret', () => {
  it.each<[string, string, Loose, Partial<FieldCause>]>([
    [
      'keys are config keys',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default' }, data: { 'bad key': 'x' } },
      {
        field: 'data[bad key]',
        message:
          "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      },
    ],
    [
      'keys may not be ..',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default' }, data: { '..': 'x' } },
      { field: 'data[..]', message: 'Invalid value: "..": must not be \'..\'' },
    ],
    [
      'data and binaryData share keys',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default' }, data: { a: 'x' }, binaryData: { a: 'eA==' } },
      { field: 'data[a]', message: 'Invalid value: "a": duplicate of key present in binaryData' },
    ],
    [
      'a ConfigMap holds at most 1MiB',
      'ConfigMap',
      { metadata: { name: 'c', namespace: 'default' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } },
      { reason: 'FieldValueTooLong', field: '', message: 'Too long: must have at most 1048576 bytes' },
    ],
    [
      'a Secret holds at most 1MiB of decoded data',
      'Secret',
      { metadata: { name: 's', namespace: 'default' }, stringData: { a: 'x'.repeat(1024 * 1024 + 1) } },
      { reason: 'FieldValueTooLong', field: 'data', message: 'Too long: must have at most 1048576 bytes' },
    ],
    [
      'TLS secrets need a certificate and key',
      'Secret',
      {
        metadata: { name: 's', namespace: 'default' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'eA==' },
      },
      { reason: 'FieldValueRequired', field: 'data[tls.key]', message: 'Required value' },
    ],
    [
      'docker config secrets hold JSON',
      'Secret',
      {
        metadata: { name: 's', namespace: 'default' },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': '{' },
      },
      {
        field: 'data[.dockerconfigjson]',
        message: expect.stringContaining('Invalid value: "<secret contents redacted>": '),
      },
    ],
  ])('%s', (_, kind, obj, expected) => {
    expectCause(admit(kind, obj), expected);
  });

  it('honours immutable: true on ConfigMaps', () => {
    const stored = { metadata: { name: 'c', namespace: 'default' }, immutable: true, data: { a: '1' } };
    expect(
      admit('ConfigMap', { ...stored, metadata: { ...stored.metadata, labels: { x: 'y' } } }, stored),
    ).toEqual([]);
    expect(admit('ConfigMap', { ...stored, immutable: false, data: { a: '2' } }, stored)).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'immutable',
        message: 'Forbidden: field is immutable when `immutable` is set',
      },
      {
        reason: 'FieldValueForbidden',
        field: 'data',
        message: 'Forbidden: field is immutable when `immutable` is set',
      },
    ]);
  });

  it('honours immutable: true on Secrets and keeps their type fixed', () => {
    const stored = { metadata: { name: 's', namespace: 'default' }, immutable: true, data: { a: 'eA==' } };
    const causes = admit(
      'Secret',
      { ...stored, type: 'kubernetes.io/basic-auth', data: { username: 'eA==' } },
      stored,
    );
    expectCause(causes, {
      field: 'type',
      message: 'Invalid value: "kubernetes.io/basic-auth": field is immutable',
    });
    expectCause(causes, { field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' });
  });
});

describe('other kinds', () => {
  it.each<[string, string, Loose, Partial<FieldCause>]>([
    [
      'Namespace finalizers are standard or qualified',
      'Namespace',
      { metadata: { name: 'n' }, spec: { finalizers: ['custom'] } },
      {
        field: 'spec.finalizers',
        message:
          'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
      },
    ],
    [
      'Node taint effects are the three upstream ones',
      'Node',
      { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'NoRun' }] } },
      {
        field: 'metadata.taints[0].effect',
        message:
          'Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      },
    ],
    [
      'Node taints are unique per key and effect',
      'Node',
      {
        metadata: { name: 'n' },
        spec: {
          taints: [
            { key: 'k', effect: 'NoSchedule' },
            { key: 'k', value: 'v', effect: 'NoSchedule' },
          ],
        },
      },
      {
        reason: 'FieldValueDuplicate',
        field: 'metadata.taints[1]',
        message:
          'Duplicate value: core.Taint{Key:"k", Value:"v", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
      },
    ],
    [
      'Node pod CIDRs are CIDRs',
      'Node',
      { metadata: { name: 'n' }, spec: { podCIDRs: ['10.244.0.0'] } },
      {
        field: 'spec.podCIDRs[0]',
        message:
          'Invalid value: "10.244.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      },
    ],
    [
      'Endpoints addresses are IPs',
      'Endpoints',
      { metadata: { name: 'e', namespace: 'default' }, subsets: [{ addresses: [{ ip: 'pod-a' }] }] },
      {
        field: 'subsets[0].addresses[0].ip',
        message: 'Invalid value: "pod-a": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      },
    ],
    [
      'Endpoints addresses are not loopback',
      'Endpoints',
      { metadata: { name: 'e', namespace: 'default' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }] }] },
      {
        field: 'subsets[0].addresses[0].ip',
        message: 'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      },
    ],
    [
      'Endpoints subsets need addresses',
      'Endpoints',
      { metadata: { name: 'e', namespace: 'default' }, subsets: [{ ports: [{ port: 80 }] }] },
      { field: 'subsets[0]', message: 'Required value: must specify `addresses` or `notReadyAddresses`' },
    ],
    [
      'Event namespaces agree with the involved object',
      'Event',
      {
        metadata: { name: 'e', namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' },
      },
      {
        field: 'involvedObject.namespace',
        message: 'Invalid value: "other": does not match event.namespace',
      },
    ],
    [
      'Lease durations are positive',
      'Lease',
      { metadata: { name: 'l', namespace: 'default' }, spec: { leaseDurationSeconds: 0 } },
      { field: 'spec.leaseDurationSeconds', message: 'Invalid value: 0: must be greater than 0' },
    ],
    [
      'Lease transitions are non-negative',
      'Lease',
      { metadata: { name: 'l', namespace: 'default' }, spec: { leaseTransitions: -1 } },
      { field: 'spec.leaseTransitions', message: 'Invalid value: -1: must be greater than or equal to 0' },
    ],
  ])('%s', (_, kind, obj, expected) => {
    expectCause(admit(kind, obj), expected);
  });

  it('checks Event names only as path segments', () => {
    expect(
      admit('Event', { metadata: { name: 'Web_1.17a', namespace: 'default' }, involvedObject: {} }),
    ).toEqual([]);
    expectCause(admit('Event', { metadata: { name: 'a/b', namespace: 'default' }, involvedObject: {} }), {
      field: 'metadata.name',
      message: 'Invalid value: "a/b": may not contain \'/\'',
    });
  });

  it('forbids changing a Node podCIDR once set', () => {
    const stored = { metadata: { name: 'n' }, spec: { podCIDRs: ['10.244.1.0/24'] } };
    expect(admit('Node', { metadata: { name: 'n' }, spec: { podCIDRs: ['10.244.2.0/24'] } }, stored)).toEqual(
      [
        {
          reason: 'FieldValueForbidden',
          field: 'spec.podCIDRs',
          message: 'Forbidden: node updates may not change podCIDR except from "" to valid',
        },
      ],
    );
  });
});

describe('validationError', () => {
  it('builds the 422 kubectl prints', () => {
    const obj = edited(deployment, (d) => (d.metadata.name = 'bad'));
    const causes = [
      {
        reason: 'FieldValueInvalid' as const,
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ];
    const error = validationError(resourceOf('Deployment'), obj, causes);
    expect(error.code).toBe(422);
    expect(error.toStatus()).toMatchObject({
      reason: 'Invalid',
      message:
        'Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      details: { name: 'bad', group: 'apps', kind: 'Deployment', causes },
    });
  });

  it('joins several causes as upstream does', () => {
    const obj = edited(deployment, (d) => {
      d.metadata.name = 'bad';
      delete d.spec.selector;
    });
    const error = validationError(resourceOf('Deployment'), obj, admit('Deployment', obj));
    expect(error.message).toBe(
      'Deployment.apps "bad" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "tier":"front"}: `selector` does not match template `labels`]',
    );
  });
});

describe('malformed bodies', () => {
  const bodies: Loose[] = [
    {
      metadata: { name: 5, namespace: 'default', labels: 'x', annotations: [1] },
      spec: 'x',
      status: 7,
      data: 'x',
      subsets: 'x',
    },
    {
      metadata: { name: 'a', namespace: 'default' },
      spec: {
        containers: [
          null,
          { ports: 'x', env: [null, { valueFrom: 'x' }], resources: { limits: 'x' }, livenessProbe: 'x' },
        ],
        volumes: [null, 1],
        template: { metadata: 'x', spec: { containers: [{}] } },
        selector: { matchLabels: 'x', matchExpressions: [null, { values: 'x' }] },
        ports: [{ port: 'x', targetPort: {} }],
        strategy: 5,
        clusterIPs: 'x',
      },
    },
  ];

  it.each(RESOURCES.map((r) => r.kind))(
    '%s: defaulting and validation report instead of throwing',
    (kind) => {
      const [nameless, odd] = bodies;
      expectCause(admit(kind, nameless, nameless), { field: 'metadata.name', reason: 'FieldValueRequired' });
      const causes = admit(kind, odd, odd);
      expect(causes.every((c) => typeof c.message === 'string' && typeof c.field === 'string')).toBe(true);
    },
  );
});
