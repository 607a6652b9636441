import { ApiError } from '../api-error.js';
import { fieldType } from '../schema/model-schema.js';
import { apiFieldType, quantityFieldTable } from './api-field-types.js';
import {
  decodeFields,
  dropUnknownFields,
  findTypeErrors,
  findUnknownFields,
  validateFields,
} from './field-validation.js';

type Json = Record<string, unknown>;

/** Sets a value at a dotted path (numeric segments index lists), creating nothing. */
function set(obj: Json, path: string, value: unknown): Json {
  const keys = path.split('.');
  let current = obj as Record<string, unknown> | unknown[];
  for (const key of keys.slice(0, -1)) current = (current as Record<string, unknown>)[key] as Json;
  (current as Record<string, unknown>)[keys[keys.length - 1]] = value;
  return obj;
}

function get(obj: Json, path: string): unknown {
  return path.split('.').reduce<unknown>((current, key) => (current as Json)[key], obj);
}

function deployment(): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' },
      creationTimestamp: null,
      managedFields: [
        { manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      ],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' }, creationTimestamp: null },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'MODE', value: 'prod' }],
              resources: {
                limits: { cpu: 1, memory: '128Mi' },
                requests: { cpu: '100m', 'nvidia.com/gpu': 1 },
              },
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
          ],
          volumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }],
        },
      },
    },
    status: {
      replicas: 2,
      conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2024-01-01T00:00:00Z' }],
    },
  };
}

describe('findUnknownFields', () => {
  it('finds nothing in a valid Deployment', () => {
    expect(findUnknownFields(deployment(), 'V1Deployment')).toEqual([]);
  });

  it.each([
    ['spec.foo', (d: Json) => set(d, 'spec.foo', 1)],
    ['metadata.labelz', (d: Json) => set(d, 'metadata.labelz', { a: 'b' })],
    [
      'spec.template.spec.containers[0].bogus',
      (d: Json) => set(d, 'spec.template.spec.containers.0.bogus', true),
    ],
    [
      'spec.template.spec.containers[1].imagePullPolice',
      (d: Json) => set(d, 'spec.template.spec.containers.1.imagePullPolice', 'Always'),
    ],
    [
      'spec.template.spec.containers[0].ports[0].containerPorts',
      (d: Json) => set(d, 'spec.template.spec.containers.0.ports.0.containerPorts', 80),
    ],
    [
      'spec.template.spec.volumes[0].emptyDir.size',
      (d: Json) => set(d, 'spec.template.spec.volumes.0.emptyDir.size', 1),
    ],
    ['spec.Replicas', (d: Json) => set(d, 'spec.Replicas', 3)],
    ['status.bogus', (d: Json) => set(d, 'status.bogus', 1)],
  ])('reports %s', (path, mutate) => {
    const obj = deployment();
    mutate(obj);
    expect(findUnknownFields(obj, 'V1Deployment')).toEqual([path]);
  });

  it('reports several fields in document order', () => {
    const obj = deployment();
    set(obj, 'spec.foo', 1);
    set(obj, 'spec.template.spec.containers.0.bogus', 1);
    set(obj, 'extra', 1);
    // spec.foo was added after spec.template, so it comes later in the document
    expect(findUnknownFields(obj, 'V1Deployment')).toEqual([
      'spec.template.spec.containers[0].bogus',
      'spec.foo',
      'extra',
    ]);
  });

  it.each([
    [
      'labels and annotations',
      'V1Deployment',
      { metadata: { labels: { anything: 'x' }, annotations: { 'a/b': 'c' } } },
    ],
    ['ConfigMap data', 'V1ConfigMap', { data: { 'app.properties': 'x=1' }, binaryData: { blob: 'AAA=' } }],
    [
      'Secret data',
      'V1Secret',
      { data: { password: 'cGFzcw==' }, stringData: { user: 'me' }, type: 'Opaque' },
    ],
    [
      'free-form fieldsV1',
      'V1ObjectMeta',
      { managedFields: [{ fieldsV1: { 'f:metadata': { 'f:labels': {} } } }] },
    ],
    ['selector labels', 'V1Service', { spec: { selector: { app: 'web', tier: 'front' } } }],
  ])('treats %s as free-form', (_name, model, obj) => {
    expect(findUnknownFields(obj, model)).toEqual([]);
  });

  it('checks values of maps whose values are objects, naming map keys with dots', () => {
    const schema = { type: 'object', properties: { port: { type: 'integer', bogus: 1 } } };
    expect(findUnknownFields(schema, 'V1JSONSchemaProps')).toEqual(['properties.port.bogus']);
  });

  it('ignores values of the wrong shape and unknown models', () => {
    expect(findUnknownFields({ spec: 'nope', metadata: [1] }, 'V1Deployment')).toEqual([]);
    expect(findUnknownFields({ anything: 1 }, 'V9Nothing')).toEqual([]);
  });

  it('keeps at most 100 distinct fields, like upstream', () => {
    const obj = deployment();
    for (let i = 0; i < 150; i++) set(obj, `spec.f${i}`, i);
    const found = findUnknownFields(obj, 'V1Deployment');
    expect(found).toHaveLength(100);
    expect(found[0]).toBe('spec.f0');
  });
});

describe('findTypeErrors', () => {
  it('accepts a valid Deployment, including numeric quantities and int-or-string values', () => {
    expect(findTypeErrors(deployment(), 'V1Deployment')).toEqual([]);
  });

  it.each([
    [
      'a string where an int32 is expected',
      (d: Json) => set(d, 'spec.replicas', '3'),
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    ],
    [
      'a fraction where an int32 is expected',
      (d: Json) => set(d, 'spec.replicas', 1.5),
      'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    ],
    [
      'an int32 overflow',
      (d: Json) => set(d, 'spec.replicas', 3000000000),
      'json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32',
    ],
    [
      'an object where a string is expected',
      (d: Json) => set(d, 'metadata.name', { a: 1 }),
      'json: cannot unmarshal object into Go struct field ObjectMeta.metadata.name of type string',
    ],
    [
      'a number in a list item',
      (d: Json) => set(d, 'spec.template.spec.containers.1.image', 5),
      'json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
    ],
    [
      'an object where a list is expected',
      (d: Json) => set(d, 'spec.template.spec.containers', { name: 'x' }),
      'json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container',
    ],
    [
      'a list where a map is expected',
      (d: Json) => set(d, 'metadata.labels', ['a']),
      'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string',
    ],
    [
      'a number as a label value',
      (d: Json) => set(d, 'metadata.labels.version', 2),
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    ],
    [
      'a string where a struct is expected',
      (d: Json) => set(d, 'spec', 'x'),
      'json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec',
    ],
    [
      'a string where a bool is expected',
      (d: Json) => set(d, 'spec.paused', 'true'),
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool',
    ],
    [
      'a bool as an int-or-string',
      (d: Json) => set(d, 'spec.strategy.rollingUpdate.maxSurge', true),
      'json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32',
    ],
    [
      'a number as a timestamp',
      (d: Json) => set(d, 'metadata.creationTimestamp', 5),
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string',
    ],
    [
      'a timestamp that is not RFC 3339',
      (d: Json) => set(d, 'metadata.creationTimestamp', 'not-a-time'),
      'parsing time "not-a-time" as "2006-01-02T15:04:05Z07:00": cannot parse "not-a-time" as "2006"',
    ],
    [
      'a condition time out of range',
      (d: Json) => set(d, 'status.conditions.0.lastUpdateTime', '2024-13-01T00:00:00Z'),
      'parsing time "2024-13-01T00:00:00Z": month out of range',
    ],
    [
      'an object as a quantity',
      (d: Json) => set(d, 'spec.template.spec.containers.0.resources.limits.cpu', { v: 1 }),
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
    [
      'a malformed quantity',
      (d: Json) => set(d, 'spec.template.spec.containers.0.resources.requests.memory', '1Gb'),
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
    [
      'a quantity with an unknown suffix',
      (d: Json) => set(d, 'spec.template.spec.volumes.0.emptyDir.sizeLimit', '1kk'),
      "unable to parse quantity's suffix",
    ],
  ])('reports %s', (_name, mutate, message) => {
    const obj = deployment();
    mutate(obj);
    expect(findTypeErrors(obj, 'V1Deployment')).toEqual([message]);
  });

  it('refuses ConfigMap binaryData that is not base64, and takes base64 and plain data', () => {
    const configMap = (binaryData: Json) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
      data: { plain: 'not base64 !!' },
      binaryData,
    });
    expect(findTypeErrors(configMap({ k: 'not base64 !!' }), 'V1ConfigMap')).toEqual([
      'illegal base64 data at input byte 3',
    ]);
    expect(findTypeErrors(configMap({ k: 'aGVsbG8=' }), 'V1ConfigMap')).toEqual([]);
    expect(() =>
      decodeFields(configMap({ k: '!' }), 'V1ConfigMap', 'Ignore', { kind: 'ConfigMap', version: 'v1' }),
    ).toThrow(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0',
    );
  });

  it.each([
    ['null anywhere', { spec: { replicas: null, template: null }, metadata: { labels: null } }],
    [
      'quantities as numbers and strings',
      { spec: { template: { spec: { overhead: { cpu: 0.25, memory: '64Mi' } } } } },
    ],
    ['exponent quantities', { spec: { template: { spec: { overhead: { cpu: '1e3', memory: '+5E-2' } } } } }],
    [
      'percent and numeric int-or-string',
      { spec: { strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } } } },
    ],
    [
      'an int64 field',
      { spec: { template: { spec: { terminationGracePeriodSeconds: 30, activeDeadlineSeconds: 2 ** 40 } } } },
    ],
    ['free-form values of any type', { metadata: { managedFields: [{ fieldsV1: 'odd' }] } }],
  ])('accepts %s', (_name, obj) => {
    expect(findTypeErrors(obj, 'V1Deployment')).toEqual([]);
  });

  it('names the root type when the object itself has the wrong type', () => {
    expect(findTypeErrors([1], 'V1Deployment')).toEqual([
      'json: cannot unmarshal array into Go value of type v1.Deployment',
    ]);
  });

  it('names core events after their Go type', () => {
    expect(findTypeErrors({ count: 'x' }, 'CoreV1Event')).toEqual([
      'json: cannot unmarshal string into Go struct field Event.count of type int32',
    ]);
  });
});

describe('validateFields', () => {
  function bad(): Json {
    const obj = deployment();
    obj.spec = { foo: 1, ...(obj.spec as Json) };
    set(obj, 'spec.template.spec.containers.0.bogus', 'x');
    return obj;
  }

  function thrown(fn: () => unknown): ApiError {
    try {
      fn();
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
    throw new Error('expected an ApiError');
  }

  it('rejects unknown fields in Strict mode with the upstream message', () => {
    const err = thrown(() => validateFields(bad(), 'V1Deployment', 'Strict'));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(
      'strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bogus"',
    );
  });

  it('prefixes decode failures with the kind when told what is being decoded', () => {
    const err = thrown(() =>
      validateFields(bad(), 'V1Deployment', 'Strict', { kind: 'Deployment', version: 'v1' }),
    );
    expect(err.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bogus"',
    );
  });

  it('returns warnings in Warn mode', () => {
    expect(validateFields(bad(), 'V1Deployment', 'Warn')).toEqual({
      warnings: ['unknown field "spec.foo"', 'unknown field "spec.template.spec.containers[0].bogus"'],
    });
  });

  it('says nothing in Ignore mode', () => {
    expect(validateFields(bad(), 'V1Deployment', 'Ignore')).toEqual({ warnings: [] });
  });

  it('accepts a valid object in every mode', () => {
    for (const mode of ['Strict', 'Warn', 'Ignore'] as const) {
      expect(validateFields(deployment(), 'V1Deployment', mode)).toEqual({ warnings: [] });
    }
  });

  it.each(['Strict', 'Warn', 'Ignore'] as const)(
    'rejects type errors in %s mode, reporting the first',
    (mode) => {
      const obj = deployment();
      set(obj, 'spec.replicas', 'two');
      set(obj, 'spec.paused', 'yes');
      const err = thrown(() =>
        validateFields(obj, 'V1Deployment', mode, { kind: 'Deployment', version: 'v1' }),
      );
      expect(err.code).toBe(400);
      expect(err.message).toBe(
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
      );
    },
  );
});

describe('dropUnknownFields', () => {
  it('removes unknown fields and keeps everything else', () => {
    const obj = deployment();
    set(obj, 'spec.foo', 1);
    set(obj, 'spec.template.spec.containers.0.bogus', 'x');
    const pruned = dropUnknownFields(obj, 'V1Deployment');
    expect(pruned).toEqual(deployment());
    expect(get(obj, 'spec.foo')).toBe(1);
  });
});

describe('decodeFields', () => {
  it('returns a clean object as itself, with no warnings', () => {
    const obj = deployment();
    for (const mode of ['Strict', 'Warn', 'Ignore'] as const) {
      const decoded = decodeFields(obj, 'V1Deployment', mode);
      expect(decoded.obj).toBe(obj);
      expect(decoded.warnings).toEqual([]);
    }
  });

  it.each(['Warn', 'Ignore'] as const)(
    'drops unknown fields in %s mode, rebuilding only what held them',
    (mode) => {
      const obj = deployment();
      set(obj, 'spec.template.spec.containers.0.bogus', 'x');
      set(obj, 'extra', 1);
      const before = JSON.stringify(obj);
      const decoded = decodeFields(obj, 'V1Deployment', mode);
      expect(decoded.obj).toEqual(deployment());
      expect(JSON.stringify(obj)).toBe(before);
      const out = decoded.obj as Json;
      expect(out).not.toBe(obj);
      expect(get(out, 'spec.template.spec.containers')).not.toBe(get(obj, 'spec.template.spec.containers'));
      expect(get(out, 'spec.template.spec.containers.1')).toBe(get(obj, 'spec.template.spec.containers.1'));
      expect(out.metadata).toBe(obj.metadata);
      expect(out.status).toBe(obj.status);
      expect(Object.keys(out)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
      expect(decoded.warnings).toEqual(
        mode === 'Warn'
          ? ['unknown field "spec.template.spec.containers[0].bogus"', 'unknown field "extra"']
          : [],
      );
    },
  );

  it('drops unknown fields inside map values of a model type, keeping a "__proto__" key as a key', () => {
    const schema = JSON.parse(
      '{"properties": {"__proto__": {"type": "string"}, "port": {"type": "integer", "bogus": 1}}}',
    ) as Json;
    const decoded = decodeFields(schema, 'V1JSONSchemaProps', 'Warn');
    expect(decoded.warnings).toEqual(['unknown field "properties.port.bogus"']);
    const properties = (decoded.obj as Json).properties as Json;
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect(JSON.stringify(properties)).toBe('{"__proto__":{"type":"string"},"port":{"type":"integer"}}');
  });

  it('reports a type error before unknown fields, in Strict mode too', () => {
    const obj = deployment();
    set(obj, 'spec.bogus', 1);
    set(obj, 'spec.template.spec.containers.0.ports.0.containerPort', '80');
    expect(() => decodeFields(obj, 'V1Deployment', 'Strict', { kind: 'Deployment', version: 'v1' })).toThrow(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32',
    );
  });

  it('names a list element of the wrong kind by the list field', () => {
    const obj = deployment();
    set(obj, 'spec.template.spec.containers.1', 'nginx');
    expect(findTypeErrors(obj, 'V1Deployment')).toEqual([
      'json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type v1.Container',
    ]);
  });

  it('rejects unknown fields in Strict mode', () => {
    const obj = deployment();
    set(obj, 'metadata.labels.extra', 'fine');
    set(obj, 'metadata.bogus', 1);
    expect(() => decodeFields(obj, 'V1Deployment', 'Strict')).toThrow(
      'strict decoding error: unknown field "metadata.bogus"',
    );
  });
});

describe('quantity field table', () => {
  it.each(Object.entries(quantityFieldTable).flatMap(([model, fields]) => fields.map((f) => [model, f])))(
    '%s.%s is a string or string map in the client and a quantity here',
    (model, field) => {
      const clientType = fieldType(model, field);
      expect(clientType).toBeDefined();
      const base = clientType?.kind === 'map' ? clientType.values : clientType;
      expect(base).toEqual({ kind: 'string' });
      const apiType = apiFieldType(model, field);
      expect(apiType?.kind === 'map' ? apiType.values : apiType).toEqual({ kind: 'quantity' });
    },
  );
});
