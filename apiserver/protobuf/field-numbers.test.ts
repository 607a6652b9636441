import type { FieldType } from '../schema/model-schema.js';
import { modelFields } from '../schema/model-schema.js';
import { apiVersionOf, RESOURCES } from '../resource-registry.js';
import { FIELD_NUMBERS, PROTOBUF_KINDS } from './field-numbers.js';

const ENTRY = /^([A-Za-z0-9_$]+)(\?)?(?::(bytes|quantity|micro|duration|raw|inline=([A-Za-z0-9]+)))?$/;

interface Entry {
  table: string;
  number: number;
  name: string;
  codec?: string;
  inline?: string;
}

const entries: Entry[] = Object.entries(FIELD_NUMBERS).flatMap(([table, fields]) =>
  Object.entries(fields).map(([number, spec]) => {
    const match = ENTRY.exec(spec);
    return {
      table,
      number: Number(number),
      name: match?.[1] ?? `<malformed ${spec}>`,
      codec: match?.[3]?.startsWith('inline=') ? undefined : match?.[3],
      inline: match?.[4],
    };
  }),
);

/** Inlined tables are typed by the models that inline them. */
const inlinedBy = new Map<string, string[]>();
for (const e of entries) {
  if (e.inline) inlinedBy.set(e.inline, [...(inlinedBy.get(e.inline) ?? []), e.table]);
}
const typingModels = (table: string): string[] =>
  modelFields(table) && !inlinedBy.has(table) ? [table] : (inlinedBy.get(table) ?? []);

const leaf = (type: FieldType): FieldType =>
  type.kind === 'array' ? leaf(type.items) : type.kind === 'map' ? leaf(type.values) : type;

describe('FIELD_NUMBERS', () => {
  it('has only well-formed entries', () => {
    const malformed = Object.entries(FIELD_NUMBERS).flatMap(([table, fields]) =>
      Object.entries(fields)
        .filter(([number, spec]) => !ENTRY.test(spec) || !/^[1-9][0-9]*$/.test(number))
        .map(([number, spec]) => `${table}.${number}: ${spec}`),
    );
    expect(malformed).toEqual([]);
  });

  it('names every field once per table', () => {
    const duplicates = Object.keys(FIELD_NUMBERS).flatMap((table) => {
      const names = entries.filter((e) => e.table === table).map((e) => e.name);
      return names.filter((n, i) => names.indexOf(n) !== i).map((n) => `${table}.${n}`);
    });
    expect(duplicates).toEqual([]);
  });

  it('types every table by a client-node model, directly or through the models that inline it', () => {
    const untyped = Object.keys(FIELD_NUMBERS).filter((table) => typingModels(table).length === 0);
    expect(untyped).toEqual([]);
  });

  it('uses only JSON field names the typing model knows', () => {
    const unknown = entries
      .filter((e) => !e.inline)
      .flatMap((e) =>
        typingModels(e.table)
          .filter((model) => !modelFields(model)?.has(e.name))
          .map((model) => `${model}.${e.name} (${e.table} #${e.number})`),
      );
    expect(unknown).toEqual([]);
  });

  it('has a table for every message a field leads to, so decoding never meets an unknown schema', () => {
    const missing = entries
      .filter((e) => !e.inline && !e.codec)
      .flatMap((e) =>
        typingModels(e.table).flatMap((model) => {
          const type = modelFields(model)?.get(e.name)?.type;
          const target = type && leaf(type);
          return target?.kind === 'model' && !FIELD_NUMBERS[target.model] ? [`${model}.${e.name}`] : [];
        }),
      );
    expect(missing).toEqual([]);
  });

  it('puts codecs only on fields whose JSON type they produce', () => {
    const expected: Record<string, (t: FieldType) => boolean> = {
      bytes: (t) => t.kind === 'string',
      quantity: (t) => t.kind === 'string',
      duration: (t) => t.kind === 'string',
      micro: (t) => t.kind === 'date' || (t.kind === 'model' && t.model === 'V1MicroTime'),
      raw: (t) => t.kind === 'any',
    };
    const mismatched = entries
      .filter((e) => e.codec)
      .flatMap((e) =>
        typingModels(e.table).flatMap((model) => {
          const type = modelFields(model)?.get(e.name)?.type;
          return type && expected[e.codec as string](leaf(type)) ? [] : [`${model}.${e.name}:${e.codec}`];
        }),
      );
    expect(mismatched).toEqual([]);
  });

  it('numbers every field of the models it covers, so no field a client sends is lost', () => {
    const uncovered = Object.keys(FIELD_NUMBERS)
      .filter((table) => modelFields(table) && !inlinedBy.has(table))
      .flatMap((model) => {
        const inlined = entries.filter((e) => e.table === model && e.inline).map((e) => e.inline as string);
        const covered = new Set(
          entries.filter((e) => e.table === model || inlined.includes(e.table)).map((e) => e.name),
        );
        return [...(modelFields(model)?.keys() ?? [])]
          .filter((name) => name !== 'apiVersion' && name !== 'kind' && !covered.has(name))
          .map((name) => `${model}.${name}`);
      });
    expect(uncovered).toEqual([]);
  });

  // Spot checks against upstream generated.proto, independent of how the table was produced.
  it.each([
    ['V1Pod', 1, 'metadata'],
    ['V1Pod', 2, 'spec'],
    ['V1ObjectMeta', 1, 'name?'],
    ['V1ObjectMeta', 3, 'namespace?'],
    ['V1ObjectMeta', 8, 'creationTimestamp'],
    ['V1ObjectMeta', 11, 'labels'],
    ['V1ObjectMeta', 17, 'managedFields'],
    ['V1PodSpec', 1, 'volumes'],
    ['V1PodSpec', 2, 'containers'],
    ['V1PodSpec', 20, 'initContainers'],
    ['V1PodSpec', 41, 'hostnameOverride'],
    ['V1Container', 2, 'image?'],
    ['V1Container', 19, 'envFrom'],
    ['V1Container', 25, 'restartPolicyRules'],
    ['V1DeploymentSpec', 1, 'replicas'],
    ['V1DeploymentSpec', 9, 'progressDeadlineSeconds'],
    ['V1Secret', 2, 'data:bytes'],
    ['V1ConfigMap', 3, 'binaryData:bytes'],
    ['V1ServicePort', 4, 'targetPort'],
    ['V1ServiceSpec', 3, 'clusterIP?'],
    ['V1Volume', 2, 'volumeSource:inline=VolumeSource'],
    ['VolumeSource', 26, 'projected'],
    ['V1PodStatus', 18, 'extendedResourceClaimStatus'],
    ['V1Eviction', 2, 'deleteOptions'],
    ['V1DeleteOptions', 1, 'gracePeriodSeconds'],
    ['V1DeleteOptions', 5, 'dryRun'],
    ['V1LeaseSpec', 3, 'acquireTime:micro'],
    ['CoreV1Event', 10, 'eventTime:micro'],
    ['V1ScaleSpec', 1, 'replicas?'],
  ])('%s field %d is %s', (table, number, spec) => {
    expect(FIELD_NUMBERS[table]?.[number]).toBe(spec);
  });
});

describe('PROTOBUF_KINDS', () => {
  it.each(Object.entries(PROTOBUF_KINDS))('%s decodes into %s, which has a table', (_, model) => {
    expect(FIELD_NUMBERS[model]).toBeDefined();
    expect(modelFields(model)).toBeDefined();
  });

  it.each(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r.modelName]))(
    'has the served kind %s, decoding into %s',
    (key, model) => {
      expect(PROTOBUF_KINDS[key]).toBe(model);
    },
  );

  it.each(['v1/Binding', 'policy/v1/Eviction', 'autoscaling/v1/Scale', 'DeleteOptions'])(
    'has the subresource or options body %s',
    (key) => {
      expect(PROTOBUF_KINDS[key]).toBeDefined();
    },
  );
});
