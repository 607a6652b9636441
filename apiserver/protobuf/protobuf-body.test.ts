import { ApiError } from '../api-error.js';
import { decodeProtobufBody } from './protobuf-body.js';
import { protobufBody, WireWriter } from './testing/wire-writer.js';

/**
 * Request bodies kubectl 1.32 sent for `kubectl create ...`, captured on the wire, next to what the
 * same kubectl prints for `--dry-run=client -o json` (Go's JSON of the very same object).
 */
const KUBECTL_BODIES: [string, string, Record<string, unknown>][] = [
  [
    'create deployment web --image=busybox --replicas=2 --port=80',
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErwBCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEooBCAISDAoKCgNhcHASA3dlYhpwChwKABIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViElASMgoHYnVzeWJveBIHYnVzeWJveCoAMgoKABAAGFAiACoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA',
    {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'busybox', image: 'busybox', ports: [{ containerPort: 80 }], resources: {} },
            ],
          },
        },
        strategy: {},
      },
      status: {},
    },
  ],
  [
    'create configmap cm1 --from-literal=a=b',
    'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEh0KEwoDY20xEgAaACIAKgAyADgAQgASBgoBYRIBYhoAIgA=',
    {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'cm1', creationTimestamp: null },
      data: { a: 'b' },
    },
  ],
  [
    'create secret generic s1 --from-literal=k=v',
    'azhzAAoMCgJ2MRIGU2VjcmV0Eh4KEgoCczESABoAIgAqADIAOABCABIGCgFrEgF2GgAaACIA',
    {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's1', creationTimestamp: null },
      data: { k: 'dg==' },
    },
  ],
  [
    'create namespace ns1',
    'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhsKEwoDbnMxEgAaACIAKgAyADgAQgASABoCCgAaACIA',
    {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'ns1', creationTimestamp: null },
      spec: {},
      status: {},
    },
  ],
  [
    'create service clusterip svc1 --tcp=80:8080',
    'azhzAAoNCgJ2MRIHU2VydmljZRJsCiEKBHN2YzESABoAIgAqADIAOABCAFoLCgNhcHASBHN2YzESQwobCgc4MC04MDgwEgNUQ1AYUCIHCAAQkD8aACgAEgsKA2FwcBIEc3ZjMRoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==',
    {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { name: 'svc1', creationTimestamp: null, labels: { app: 'svc1' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
        selector: { app: 'svc1' },
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    },
  ],
  [
    'create serviceaccount sa1',
    'azhzAAoUCgJ2MRIOU2VydmljZUFjY291bnQSFQoTCgNzYTESABoAIgAqADIAOABCABoAIgA=',
    { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'sa1', creationTimestamp: null } },
  ],
  [
    'drain --disable-eviction --grace-period=5 (DELETE body)',
    'azhzAAoTCgJ2MRINRGVsZXRlT3B0aW9ucxICCAUaACIA',
    { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 },
  ],
];

describe('decodeProtobufBody', () => {
  it.each(KUBECTL_BODIES)('decodes what kubectl sends for `%s` into its JSON form', (_, base64, json) => {
    const body = decodeProtobufBody(Buffer.from(base64, 'base64'));
    expect(body.object).toEqual(json);
    expect(body.apiVersion).toBe(json.apiVersion);
    expect(body.kind).toBe(json.kind);
  });

  it('decodes a policy/v1 Eviction with its DeleteOptions, keeping an explicit zero grace period', () => {
    const buf = protobufBody('policy/v1', 'Eviction', (w) =>
      w
        .message(1, (m) => m.string(1, 'web-1').string(3, 'default'))
        .message(2, (d) =>
          d
            .varint(1, 0)
            .message(2, (p) => p.string(1, 'uid-1'))
            .string(5, 'All'),
        ),
    );
    expect(decodeProtobufBody(buf).object).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web-1', namespace: 'default' },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' }, dryRun: ['All'] },
    });
  });

  it('accepts DeleteOptions under any group version, as upstream registers it in every group', () => {
    const buf = protobufBody('apps/v1', 'DeleteOptions', (w) => w.string(4, 'Foreground'));
    expect(decodeProtobufBody(buf).object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Foreground',
    });
  });

  it('decodes a Binding and an autoscaling/v1 Scale', () => {
    const binding = protobufBody('v1', 'Binding', (w) =>
      w.message(1, (m) => m.string(1, 'p')).message(2, (t) => t.string(1, 'Node').string(3, 'node-1')),
    );
    expect(decodeProtobufBody(binding).object).toEqual({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p' },
      target: { kind: 'Node', name: 'node-1' },
    });
    const scale = protobufBody('autoscaling/v1', 'Scale', (w) =>
      w.message(1, (m) => m.string(1, 'web')).message(2, (s) => s.varint(1, 3)),
    );
    expect(decodeProtobufBody(scale).object).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web' },
      spec: { replicas: 3 },
    });
  });

  it('gives an object with only apiVersion and kind when the envelope carries no raw bytes', () => {
    const buf = Buffer.concat([
      Buffer.from('k8s\u0000', 'latin1'),
      new WireWriter().message(1, (t) => t.string(1, 'v1').string(2, 'ConfigMap')).finish(),
    ]);
    expect(decodeProtobufBody(buf).object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  it.each([
    ['no magic prefix', Buffer.from('{"kind":"ConfigMap"}'), /does not appear to be a protobuf message/],
    [
      'only the magic prefix and a torn tag',
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a]),
      /not a valid protobuf/,
    ],
    [
      'a length running past the end',
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f, 0x0a]),
      /not a valid protobuf message: length exceeds/,
    ],
    [
      'a kind that is not served',
      protobufBody('batch/v1', 'Job', () => undefined),
      /no kind "Job" is registered for version "batch\/v1"/,
    ],
    [
      'a field with the wrong wire type',
      protobufBody('v1', 'ConfigMap', (w) => w.message(1, (m) => m.varint(1, 5))),
      /wrong wireType = 0 for field name/,
    ],
  ])('answers 400 for %s', (_, buf, message) => {
    let error: unknown;
    try {
      decodeProtobufBody(buf);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(400);
    expect((error as ApiError).message).toMatch(message);
  });
});
