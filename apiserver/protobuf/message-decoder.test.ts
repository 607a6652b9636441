import { decodeMessage } from './message-decoder.js';
import { WireWriter } from './testing/wire-writer.js';
import { WireFormatError } from './wire-reader.js';

// Field numbers below are upstream's (k8s.io/api core/v1 and apps/v1, k8s.io/apimachinery meta/v1
// generated.proto), written out so these tests do not trust the decoder's own tables.
const msg = (build: (w: WireWriter) => void) => {
  const w = new WireWriter();
  build(w);
  return w.finish();
};

/** An ObjectMeta as Go writes it: every value field present, mostly empty. */
const goObjectMeta = (w: WireWriter, name: string) =>
  w
    .string(1, name)
    .string(2, '')
    .string(3, '')
    .string(4, '')
    .string(5, '')
    .string(6, '')
    .varint(7, 0)
    .message(8, () => undefined);

describe('decodeMessage', () => {
  it('reads a container: strings, repeated strings, nested lists, maps of quantities', () => {
    const container = msg((w) =>
      w
        .string(1, 'app')
        .string(2, 'busybox:1.36')
        .string(3, 'sh')
        .string(3, '-c')
        .string(4, 'sleep 10')
        .message(6, (p) => p.string(1, '').varint(2, 0).varint(3, 8080).string(4, 'TCP').string(5, ''))
        .message(7, (e) => e.string(1, 'A').string(2, 'B'))
        .message(7, (e) => e.string(1, 'EMPTY').string(2, ''))
        .message(8, (r) =>
          r
            .message(1, (entry) => entry.string(1, 'cpu').message(2, (q) => q.string(1, '100m')))
            .message(2, (entry) => entry.string(1, 'memory').message(2, (q) => q.string(1, '64Mi'))),
        )
        .varint(16, false),
    );
    expect(decodeMessage(container, 'V1Container')).toEqual({
      name: 'app',
      image: 'busybox:1.36',
      command: ['sh', '-c'],
      args: ['sleep 10'],
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      env: [{ name: 'A', value: 'B' }, { name: 'EMPTY' }],
      resources: { limits: { cpu: '100m' }, requests: { memory: '64Mi' } },
    });
  });

  it('drops zero values of Go value fields but keeps explicit zeros of pointer fields', () => {
    // DeploymentSpec: replicas (1) is *int32, minReadySeconds (5) int32, paused (7) bool.
    const spec = msg((w) =>
      w
        .varint(1, 0)
        .varint(5, 0)
        .varint(7, false)
        .message(4, () => undefined),
    );
    expect(decodeMessage(spec, 'V1DeploymentSpec')).toEqual({ replicas: 0, strategy: {} });
    // PodSpec: automountServiceAccountToken (21) is *bool, hostNetwork (11) a bool value.
    const podSpec = msg((w) => w.varint(21, false).varint(11, false).varint(4, 0));
    expect(decodeMessage(podSpec, 'V1PodSpec')).toEqual({
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
    });
  });

  it('keeps the zero value of a required value field, as JSON without omitempty does', () => {
    // ContainerPort.containerPort (3) and ScaleStatus.replicas (1) have no omitempty.
    expect(
      decodeMessage(
        msg((w) => w.varint(3, 0)),
        'V1ContainerPort',
      ),
    ).toEqual({ containerPort: 0 });
    expect(
      decodeMessage(
        msg((w) => w.varint(1, 0).string(2, '')),
        'V1ScaleStatus',
      ),
    ).toEqual({
      replicas: 0,
    });
  });

  it('turns metadata into JSON: empty creationTimestamp is null, maps and timestamps', () => {
    const empty = msg((w) => goObjectMeta(w, 'web').message(11, (e) => e.string(1, 'app').string(2, 'web')));
    expect(decodeMessage(empty, 'V1ObjectMeta')).toEqual({
      name: 'web',
      creationTimestamp: null,
      labels: { app: 'web' },
    });
    const full = msg((w) =>
      w
        .string(1, 'web')
        .string(3, 'default')
        .varint(7, 2 ** 40)
        .message(8, (t) => t.varint(1, 1700000000).varint(2, 999_999_999))
        .message(9, (t) => t.varint(1, 1700000030))
        .varint(10, 30)
        .message(12, (e) => e.string(1, 'note').string(2, ''))
        .message(13, (o) =>
          o
            .string(1, 'ReplicaSet')
            .string(3, 'web-1')
            .string(4, 'uid-1')
            .string(5, 'apps/v1')
            .varint(6, true)
            .varint(7, false),
        )
        .string(14, 'example.com/finalizer'),
    );
    expect(decodeMessage(full, 'V1ObjectMeta')).toEqual({
      name: 'web',
      namespace: 'default',
      generation: 2 ** 40,
      creationTimestamp: '2023-11-14T22:13:20Z',
      deletionTimestamp: '2023-11-14T22:13:50Z',
      deletionGracePeriodSeconds: 30,
      annotations: { note: '' },
      ownerReferences: [
        {
          kind: 'ReplicaSet',
          name: 'web-1',
          uid: 'uid-1',
          apiVersion: 'apps/v1',
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
      finalizers: ['example.com/finalizer'],
    });
  });

  it('writes MicroTime with six fractional digits (core/v1 Event eventTime)', () => {
    const event = msg((w) =>
      w.string(3, 'Scheduled').message(10, (t) => t.varint(1, 1700000000).varint(2, 123_456_789)),
    );
    expect(decodeMessage(event, 'CoreV1Event')).toEqual({
      reason: 'Scheduled',
      eventTime: '2023-11-14T22:13:20.123456Z',
    });
  });

  it('writes Lease times as MicroTime and keeps an explicit zero lease duration', () => {
    const spec = msg((w) =>
      w
        .string(1, 'holder')
        .varint(2, 0)
        .message(3, (t) => t.varint(1, 0))
        .message(4, (t) => t.varint(1, 1).varint(2, 5000)),
    );
    expect(decodeMessage(spec, 'V1LeaseSpec')).toEqual({
      holderIdentity: 'holder',
      leaseDurationSeconds: 0,
      acquireTime: '1970-01-01T00:00:00.000000Z',
      renewTime: '1970-01-01T00:00:01.000005Z',
    });
  });

  it.each([
    ['an int', (w: WireWriter) => w.varint(1, 0).varint(2, 8080).string(3, ''), 8080],
    ['a string', (w: WireWriter) => w.varint(1, 1).varint(2, 0).string(3, 'http'), 'http'],
    ['an empty message (the int 0)', () => undefined, 0],
  ])('reads IntOrString holding %s', (_, build, expected) => {
    const port = msg((w) => w.string(1, 'web').varint(3, 80).message(4, build));
    expect(decodeMessage(port, 'V1ServicePort')).toEqual({ name: 'web', port: 80, targetPort: expected });
  });

  it('base64-encodes bytes map values (Secret.data, ConfigMap.binaryData)', () => {
    const secret = msg((w) =>
      w
        .message(2, (e) => e.string(1, 'bin').bytes(2, Buffer.from([0, 1, 254, 255])))
        .message(2, (e) => e.string(1, 'empty'))
        .string(3, 'Opaque')
        .message(4, (e) => e.string(1, 'plain').string(2, 'text')),
    );
    expect(decodeMessage(secret, 'V1Secret')).toEqual({
      data: { bin: 'AAH+/w==', empty: '' },
      type: 'Opaque',
      stringData: { plain: 'text' },
    });
    const configMap = msg((w) => w.message(3, (e) => e.string(1, 'b').bytes(2, Buffer.from('hi'))));
    expect(decodeMessage(configMap, 'V1ConfigMap')).toEqual({ binaryData: { b: 'aGk=' } });
  });

  it('merges messages Go inlines into their parent (VolumeSource, ProbeHandler, LocalObjectReference)', () => {
    const volume = msg((w) =>
      w.string(1, 'data').message(2, (s) => s.message(19, (c) => c.message(1, (r) => r.string(1, 'cfg')))),
    );
    expect(decodeMessage(volume, 'V1Volume')).toEqual({ name: 'data', configMap: { name: 'cfg' } });
    const probe = msg((w) =>
      w
        .message(1, (h) =>
          h.message(2, (g) => g.string(1, '/healthz').message(2, (p) => p.varint(1, 1).string(3, 'http'))),
        )
        .varint(2, 5)
        .varint(3, 0),
    );
    expect(decodeMessage(probe, 'V1Probe')).toEqual({
      httpGet: { path: '/healthz', port: 'http' },
      initialDelaySeconds: 5,
    });
    const selector = msg((w) =>
      w
        .message(1, (r) => r.string(1, 'cfg'))
        .string(2, 'key')
        .varint(3, false),
    );
    expect(decodeMessage(selector, 'V1ConfigMapKeySelector')).toEqual({
      name: 'cfg',
      key: 'key',
      optional: false,
    });
  });

  it('reads repeated integers both packed and unpacked, and negative values', () => {
    // PodSecurityContext.supplementalGroups (4) is repeated int64; runAsUser (2) *int64.
    const packed = msg((w) => w.packed(4, [1, 2, 3]).varint(2, -1));
    const unpacked = msg((w) => w.varint(4, 1).varint(4, 2).varint(4, 3).varint(2, -1));
    const expected = { supplementalGroups: [1, 2, 3], runAsUser: -1 };
    expect(decodeMessage(packed, 'V1PodSecurityContext')).toEqual(expected);
    expect(decodeMessage(unpacked, 'V1PodSecurityContext')).toEqual(expected);
  });

  it('parses FieldsV1 JSON in managedFields', () => {
    const entry = msg((w) =>
      w
        .string(1, 'kubectl')
        .string(2, 'Update')
        .string(3, 'v1')
        .string(6, 'FieldsV1')
        .message(7, (f) => f.bytes(1, Buffer.from('{"f:data":{"f:a":{}}}'))),
    );
    expect(decodeMessage(entry, 'V1ManagedFieldsEntry')).toEqual({
      manager: 'kubectl',
      operation: 'Update',
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {} } },
    });
  });

  it('skips field numbers it does not know, whatever their wire type', () => {
    const container = msg((w) =>
      w
        .string(1, 'app')
        .varint(900, 7)
        .string(901, 'x')
        .double(902, 1.5)
        .raw([0xbd, 0x38, 1, 2, 3, 4]) // field 903, fixed32
        .string(2, 'busybox'),
    );
    expect(decodeMessage(container, 'V1Container')).toEqual({ name: 'app', image: 'busybox' });
  });

  it('merges a non-repeated message that appears twice, as protobuf does', () => {
    const pod = msg((w) =>
      w.message(2, (s) => s.string(10, 'node-1')).message(2, (s) => s.string(8, 'default')),
    );
    expect(decodeMessage(pod, 'V1Pod')).toEqual({
      spec: { nodeName: 'node-1', serviceAccountName: 'default' },
    });
  });

  it.each([
    ['a varint where a string belongs', msg((w) => w.varint(1, 1)), /wrong wireType = 0 for field name/],
    ['a string where a bool belongs', msg((w) => w.string(16, 'yes')), /wrong wireType = 2 for field stdin/],
    ['a truncated string', Buffer.from([0x0a, 0x05, 0x61]), /length exceeds/],
    ['a group wire type', Buffer.from([0xa3, 0x38]), /unsupported wire type 3/],
    ['non-JSON FieldsV1', null, /does not hold JSON/],
  ])('rejects %s', (_, bytes, message) => {
    const input =
      bytes ?? msg((w) => w.message(17, (m) => m.message(7, (f) => f.bytes(1, Buffer.from('{nope')))));
    const model = bytes ? 'V1Container' : 'V1ObjectMeta';
    expect(() => decodeMessage(input, model)).toThrow(WireFormatError);
    expect(() => decodeMessage(input, model)).toThrow(message);
  });
});
