import type { KubeObject } from '../apiserver/api-object.js';
import type { Table } from '../apiserver/table/table-types.js';
import {
  asList,
  eventRow,
  eventsHeader,
  formatTable,
  kindGroup,
  noResourcesMessage,
  objectName,
  parseOutputFormat,
  toJson,
  toYaml,
} from './output-printer.js';

const podTable: Table = {
  kind: 'Table',
  apiVersion: 'meta.k8s.io/v1',
  metadata: { resourceVersion: '5' },
  columnDefinitions: [
    { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
    { name: 'Ready', type: 'string', format: '', description: '', priority: 0 },
    { name: 'Restarts', type: 'integer', format: '', description: '', priority: 0 },
    { name: 'Node', type: 'string', format: '', description: '', priority: 1 },
    { name: 'Last Seen', type: 'string', format: '', description: '', priority: 0 },
  ],
  rows: [
    {
      cells: ['web-1', '1/1', 0, 'node-a', 'line one\nline two'],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { name: 'web-1', namespace: 'prod' },
      },
    },
    {
      cells: ['web-22', null, 3, 'node-b', '5s'],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { name: 'web-22', namespace: 'dev' },
      },
    },
  ],
};

describe('formatTable', () => {
  it.each<[string, Parameters<typeof formatTable>[1], string]>([
    [
      'default columns, upper-cased headers, multi-line cells cut',
      {},
      'NAME     READY   RESTARTS   LAST SEEN\nweb-1    1/1     0          line one...\nweb-22           3          5s\n',
    ],
    [
      'wide columns',
      { wide: true },
      'NAME     READY   RESTARTS   NODE     LAST SEEN\nweb-1    1/1     0          node-a   line one...\nweb-22           3          node-b   5s\n',
    ],
    [
      'a NAMESPACE column from the row metadata (-A)',
      { withNamespace: true },
      'NAMESPACE   NAME     READY   RESTARTS   LAST SEEN\nprod        web-1    1/1     0          line one...\ndev         web-22           3          5s\n',
    ],
    [
      'kind-prefixed names when several kinds are printed, without headers',
      { kindPrefix: 'pod', noHeaders: true },
      'pod/web-1    1/1   0     line one...\npod/web-22         3     5s\n',
    ],
  ])('%s', (_name, options, expected) => {
    expect(formatTable(podTable, options)).toBe(expected);
  });
});

describe('names and documents', () => {
  it.each<[string, string, string]>([
    ['v1', 'Pod', 'pod/x'],
    ['apps/v1', 'Deployment', 'deployment.apps/x'],
    ['coordination.k8s.io/v1', 'Lease', 'lease.coordination.k8s.io/x'],
  ])('-o name of %s %s', (apiVersion, kind, expected) => {
    expect(objectName({ apiVersion, kind, metadata: { name: 'x' } })).toBe(expected);
  });

  it('kindGroup leaves the core group out', () => {
    expect([kindGroup('Service', ''), kindGroup('ReplicaSet', 'apps')]).toEqual([
      'service',
      'replicaset.apps',
    ]);
  });

  it('wraps several objects in a List as kubectl prints it', () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
    expect(toYaml(asList([pod]))).toBe(
      'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\nkind: List\nmetadata:\n  resourceVersion: ""\n',
    );
    expect(toJson(asList([]))).toBe(
      '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n',
    );
  });

  it('quotes YAML strings like go-yaml: double quotes for what would read as another type', () => {
    expect(
      toYaml({
        count: '1',
        flag: 'true',
        yes: 'yes',
        time: '2024-01-01T00:00:00Z',
        plain: 'nginx:1.25',
        colon: 'a: b',
        empty: '',
        text: 'line\n',
        number: 3,
      }),
    ).toBe(
      'colon: \'a: b\'\ncount: "1"\nempty: ""\nflag: "true"\nnumber: 3\nplain: nginx:1.25\ntext: |\n  line\ntime: "2024-01-01T00:00:00Z"\n"yes": "yes"\n',
    );
  });

  it.each([
    [undefined, 'table'],
    ['wide', 'wide'],
    ['yaml', 'yaml'],
  ])('parseOutputFormat(%s)', (value, expected) => {
    expect(parseOutputFormat(value)).toBe(expected);
  });

  it('refuses unknown output formats', () => {
    expect(() => parseOutputFormat('jsonpath')).toThrow(
      'unable to match a printer suitable for the output format "jsonpath"',
    );
  });

  it('says where nothing was found', () => {
    expect([noResourcesMessage('dev'), noResourcesMessage(undefined)]).toEqual([
      'No resources found in dev namespace.',
      'No resources found',
    ]);
  });
});

describe('event rows', () => {
  const now = new Date('2024-01-01T00:10:00Z');
  it.each<[string, Partial<KubeObject>, boolean, string]>([
    [
      'a single event',
      {
        type: 'Normal',
        reason: 'Scheduled',
        involvedObject: { kind: 'Pod', name: 'web' },
        message: ' assigned \n',
        firstTimestamp: '2024-01-01T00:09:00Z',
        lastTimestamp: '2024-01-01T00:09:00Z',
        count: 1,
      },
      false,
      '60s\tNormal\tScheduled\tPod/web\tassigned\n',
    ],
    [
      'a repeated event, with its namespace',
      {
        type: 'Warning',
        reason: 'BackOff',
        involvedObject: { kind: 'Pod', name: 'web' },
        message: 'x',
        firstTimestamp: '2024-01-01T00:00:00Z',
        lastTimestamp: '2024-01-01T00:08:00Z',
        count: 4,
      },
      true,
      'prod\t2m\tWarning\tBackOff\tPod/web\tx\n',
    ],
  ])('%s', (_name, fields, withNamespace, expected) => {
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'prod' },
      ...fields,
    } as KubeObject;
    const row = eventRow(event, now, withNamespace);
    expect(row).toBe(withNamespace ? expected.replace('2m\t', '2m (x4 over 10m)\t') : expected);
  });

  it('has kubectl events headers', () => {
    expect(eventsHeader(true)).toBe('NAMESPACE\tLAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n');
  });
});
