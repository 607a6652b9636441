import type { KubeObject } from '../api-object.js';
import { ApiError } from '../api-error.js';
import type { IncludeObject } from './build-table.js';
import { buildTable } from './build-table.js';

const NOW = new Date('2024-05-01T12:00:00Z');

function configMap(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: '42',
      creationTimestamp: '2024-05-01T11:59:00Z',
      labels: { app: 'web' },
      annotations: { note: 'kept' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1' }],
    },
    data: { a: '1' },
  };
}

describe('buildTable', () => {
  it('renders a list with column definitions, list metadata and one row per object', () => {
    const table = buildTable('configmaps', [configMap('one', 'default'), configMap('two', 'kube-system')], {
      resourceVersion: '111',
      continueToken: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ',
      now: NOW,
    });
    expect(table).toMatchObject({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '111', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ' },
    });
    expect(table.columnDefinitions?.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(table.rows.map((r) => r.cells)).toEqual([
      ['one', 1, '60s'],
      ['two', 1, '60s'],
    ]);
  });

  it('leaves continue out when there is no next page', () => {
    const table = buildTable('configmaps', [], { resourceVersion: '7', now: NOW });
    expect(table.metadata).toEqual({ resourceVersion: '7' });
    expect(table.rows).toEqual([]);
  });

  it('serialises every column field, as kubectl and upstream expect', () => {
    const [name, data] =
      buildTable('configmaps', [], { resourceVersion: '7', now: NOW }).columnDefinitions ?? [];
    expect(Object.keys(name).sort()).toEqual(['description', 'format', 'name', 'priority', 'type']);
    expect(name).toMatchObject({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    expect(data).toMatchObject({ name: 'Data', type: 'string', format: '', priority: 0 });
    expect(name.description).toMatch(/^Name must be unique within a namespace/);
  });

  it('attaches PartialObjectMetadata without managedFields by default, leaving the input untouched', () => {
    const cm = configMap('one', 'default');
    const [row] = buildTable('configmaps', [cm], { resourceVersion: '1', now: NOW }).rows;
    expect(row.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: {
        name: 'one',
        namespace: 'default',
        uid: 'uid-one',
        resourceVersion: '42',
        creationTimestamp: '2024-05-01T11:59:00Z',
        labels: { app: 'web' },
        annotations: { note: 'kept' },
      },
    });
    expect(cm.metadata.managedFields).toHaveLength(1);
  });

  it.each<[IncludeObject | undefined, (obj: KubeObject) => unknown]>([
    [undefined, () => expect.objectContaining({ kind: 'PartialObjectMetadata' })],
    ['Metadata', () => expect.objectContaining({ kind: 'PartialObjectMetadata' })],
    ['Object', (obj) => obj],
  ])('puts the right object in each row for includeObject=%s', (includeObject, expected) => {
    const cm = configMap('one', 'default');
    const [row] = buildTable('configmaps', [cm], { resourceVersion: '1', includeObject, now: NOW }).rows;
    expect(row.object).toEqual(expected(cm));
  });

  it('leaves the object out for includeObject=None', () => {
    const [row] = buildTable('configmaps', [configMap('one', 'default')], {
      resourceVersion: '1',
      includeObject: 'None',
      now: NOW,
    }).rows;
    expect(row).not.toHaveProperty('object');
  });

  it('rejects an unknown includeObject with 400 as upstream does', () => {
    const build = () =>
      buildTable('configmaps', [], {
        resourceVersion: '1',
        includeObject: 'Everything' as IncludeObject,
        now: NOW,
      });
    expect(build).toThrow(ApiError);
    expect(build).toThrow(
      `Unable to convert to Table as requested: includeObject: Invalid value: "Everything": must be 'Metadata', 'Object', 'None', or empty`,
    );
  });

  it('sends columnDefinitions null for later watch events', () => {
    const cm = configMap('one', 'default');
    const event = buildTable('configmaps', [cm], {
      resourceVersion: cm.metadata.resourceVersion ?? '',
      includeColumnDefinitions: false,
      now: NOW,
    });
    expect(event.columnDefinitions).toBeNull();
    expect(event.metadata.resourceVersion).toBe('42');
    expect(event.rows).toHaveLength(1);
  });

  it('answers in meta.k8s.io/v1beta1 when that version was negotiated', () => {
    const table = buildTable('configmaps', [configMap('one', 'default')], {
      resourceVersion: '1',
      tableVersion: 'v1beta1',
      now: NOW,
    });
    expect(table.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect(table.rows[0].object).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1beta1',
    });
  });

  it('adds the Completed row condition for finished pods', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'job-x' },
      spec: { containers: [{ name: 'c' }] },
      status: { phase: 'Succeeded' },
    };
    const [row] = buildTable('pods', [pod], { resourceVersion: '1', now: NOW }).rows;
    expect(row.conditions).toEqual([
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
    const [other] = buildTable('configmaps', [configMap('one', 'default')], {
      resourceVersion: '1',
      now: NOW,
    }).rows;
    expect(other).not.toHaveProperty('conditions');
  });

  describe('for resources without upstream columns', () => {
    const widget: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', creationTimestamp: '2024-04-30T08:15:30.000Z' },
    };

    it('uses Name and Created At (a date column) with an RFC 3339 cell', () => {
      const table = buildTable('widgets', [widget], { resourceVersion: '1', now: NOW });
      expect(table.columnDefinitions?.map((c) => [c.name, c.type, c.format])).toEqual([
        ['Name', 'string', 'name'],
        ['Created At', 'date', ''],
      ]);
      expect(table.rows[0].cells).toEqual(['w1', '2024-04-30T08:15:30Z']);
    });

    it("prints Go's zero time for a missing timestamp", () => {
      const table = buildTable('widgets', [{ metadata: { name: 'w2' } }], { resourceVersion: '1', now: NOW });
      expect(table.rows[0].cells).toEqual(['w2', '0001-01-01T00:00:00Z']);
    });

    it('is not fooled by names inherited from Object.prototype', () => {
      const table = buildTable('constructor', [widget], { resourceVersion: '1', now: NOW });
      expect(table.columnDefinitions?.map((c) => c.name)).toEqual(['Name', 'Created At']);
    });
  });

  it.each([
    [
      'pods',
      ['Name', 'Ready', 'Status', 'Restarts', 'Age'],
      ['IP', 'Node', 'Nominated Node', 'Readiness Gates'],
    ],
    [
      'nodes',
      ['Name', 'Status', 'Roles', 'Age', 'Version'],
      ['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime'],
    ],
    ['services', ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age'], ['Selector']],
    ['endpoints', ['Name', 'Endpoints', 'Age'], []],
    [
      'deployments',
      ['Name', 'Ready', 'Up-to-date', 'Available', 'Age'],
      ['Containers', 'Images', 'Selector'],
    ],
    ['replicasets', ['Name', 'Desired', 'Current', 'Ready', 'Age'], ['Containers', 'Images', 'Selector']],
    [
      'daemonsets',
      ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age'],
      ['Containers', 'Images', 'Selector'],
    ],
    ['namespaces', ['Name', 'Status', 'Age'], []],
    [
      'events',
      ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
      ['Subobject', 'Source', 'First Seen', 'Count', 'Name'],
    ],
    ['configmaps', ['Name', 'Data', 'Age'], []],
    ['secrets', ['Name', 'Type', 'Data', 'Age'], []],
    ['leases', ['Name', 'Holder', 'Age'], []],
    ['serviceaccounts', ['Name', 'Secrets', 'Age'], []],
  ])('gives %s the upstream default and wide columns, one cell per column', (plural, normal, wide) => {
    const bare: KubeObject = { metadata: { name: 'x' } };
    const table = buildTable(plural, [bare], { resourceVersion: '1', now: NOW });
    const columns = table.columnDefinitions ?? [];
    expect(columns.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(normal);
    expect(columns.filter((c) => c.priority === 1).map((c) => c.name)).toEqual(wide);
    expect(columns.filter((c) => c.format === 'name').map((c) => c.name)).toEqual(['Name']);
    expect(table.rows[0].cells).toHaveLength(columns.length);
  });
});
