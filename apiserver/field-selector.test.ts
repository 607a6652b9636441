import { ApiError } from './api-error.js';
import type { KubeObject } from './api-object.js';
import {
  FieldSelector,
  escapeFieldValue,
  fieldsOf,
  parseFieldSelector,
  parseFieldSelectorQuery,
  supportedFieldLabels,
} from './field-selector.js';

function thrown(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

function pod(
  name: string,
  nodeName: string | undefined,
  phase: string,
  extra: Partial<KubeObject> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [] },
    status: { phase },
    ...extra,
  };
}

describe('parseFieldSelector', () => {
  it.each([
    ['', [], ''],
    ['metadata.name=web', [['metadata.name', '=', 'web']], 'metadata.name=web'],
    ['metadata.name==web', [['metadata.name', '=', 'web']], 'metadata.name=web'],
    ['status.phase!=Running', [['status.phase', '!=', 'Running']], 'status.phase!=Running'],
    ['involvedObject.namespace=', [['involvedObject.namespace', '=', '']], 'involvedObject.namespace='],
    [
      'spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed',
      [
        ['spec.nodeName', '=', 'node-1'],
        ['status.phase', '!=', 'Failed'],
        ['status.phase', '!=', 'Succeeded'],
      ],
      'spec.nodeName=node-1,status.phase!=Failed,status.phase!=Succeeded',
    ],
    [
      'involvedObject.uid=y,involvedObject.name=x,involvedObject.namespace=',
      [
        ['involvedObject.name', '=', 'x'],
        ['involvedObject.namespace', '=', ''],
        ['involvedObject.uid', '=', 'y'],
      ],
      'involvedObject.name=x,involvedObject.namespace=,involvedObject.uid=y',
    ],
    [',metadata.name=a,', [['metadata.name', '=', 'a']], 'metadata.name=a'],
    ['a=b\\,c', [['a', '=', 'b,c']], 'a=b\\,c'],
    ['a=b\\=c', [['a', '=', 'b=c']], 'a=b\\=c'],
    ['a=b\\\\c', [['a', '=', 'b\\c']], 'a=b\\\\c'],
    ['a=!b', [['a', '=', '!b']], 'a=!b'],
    ['a =b', [['a ', '=', 'b']], 'a =b'],
  ])('parses %j', (text, requirements, canonical) => {
    const selector = parseFieldSelector(text);
    expect(selector.requirements.map((r) => [r.field, r.operator, r.value])).toEqual(requirements);
    expect(selector.toString()).toBe(canonical);
    expect(selector.isEmpty()).toBe(requirements.length === 0);
  });

  it.each([
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['metadata.name=a,b', "invalid selector: 'metadata.name=a,b'; can't understand 'b'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a!==b', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ])('rejects %j with a 400', (text, message) => {
    const error = thrown(() => parseFieldSelector(text));
    expect(error.code).toBe(400);
    expect(error.reason).toBe('BadRequest');
    expect(error.message).toBe(message);
  });

  it('round-trips any value through escapeFieldValue', () => {
    const value = 'a,b=c\\d';
    const selector = parseFieldSelector(`metadata.name=${escapeFieldValue(value)}`);
    expect(selector.requiredValue('metadata.name')).toBe(value);
    expect(parseFieldSelector(selector.toString()).requiredValue('metadata.name')).toBe(value);
  });
});

describe('FieldSelector.requiredValue', () => {
  it.each<[string, string, string | undefined]>([
    ['metadata.name=a', 'metadata.name', 'a'],
    ['metadata.name==a', 'metadata.name', 'a'],
    ['metadata.name!=a', 'metadata.name', undefined],
    ['metadata.namespace=,metadata.name=a', 'metadata.namespace', ''],
    ['spec.nodeName=node-1,status.phase!=Failed', 'spec.nodeName', 'node-1'],
    ['status.phase=Running', 'spec.nodeName', undefined],
    ['', 'metadata.name', undefined],
  ])('%j pins %s to %j', (text, field, expected) => {
    expect(parseFieldSelector(text).requiredValue(field)).toBe(expected);
  });
});

describe('fieldsOf', () => {
  it('gives a pod every selectable field, defaulting missing ones', () => {
    expect(fieldsOf('pods', pod('web', undefined, 'Pending'))).toEqual({
      'metadata.name': 'web',
      'metadata.namespace': 'default',
      'spec.nodeName': '',
      'spec.restartPolicy': '',
      'spec.schedulerName': '',
      'spec.serviceAccountName': '',
      'spec.hostNetwork': 'false',
      'status.phase': 'Pending',
      'status.podIP': '',
      'status.nominatedNodeName': '',
    });
  });

  it('reads a fully populated pod', () => {
    const running: KubeObject = {
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        nodeName: 'node-1',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        serviceAccountName: 'default',
        hostNetwork: true,
      },
      status: {
        phase: 'Running',
        podIP: '10.0.0.9',
        podIPs: [{ ip: '10.0.0.7' }, { ip: 'fd00::7' }],
        nominatedNodeName: 'node-2',
      },
    };
    expect(fieldsOf('pods', running)).toEqual({
      'metadata.name': 'web',
      'metadata.namespace': 'prod',
      'spec.nodeName': 'node-1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'true',
      // The first of podIPs is authoritative, as in upstream's internal representation.
      'status.podIP': '10.0.0.7',
      'status.phase': 'Running',
      'status.nominatedNodeName': 'node-2',
    });
    expect(fieldsOf('pods', { metadata: { name: 'p' }, status: { podIP: '10.0.0.9' } })['status.podIP']).toBe(
      '10.0.0.9',
    );
  });

  it('gives an event its involved object, reason, type and source', () => {
    const event: KubeObject = {
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: {
        kind: 'Pod',
        namespace: 'default',
        name: 'web',
        uid: 'u-1',
        apiVersion: 'v1',
        resourceVersion: '42',
        fieldPath: 'spec.containers{app}',
      },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      reportingComponent: 'scheduler',
    };
    expect(fieldsOf('events', event)).toEqual({
      'metadata.name': 'web.1',
      'metadata.namespace': 'default',
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'default',
      'involvedObject.name': 'web',
      'involvedObject.uid': 'u-1',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '42',
      'involvedObject.fieldPath': 'spec.containers{app}',
      reason: 'Scheduled',
      reportingComponent: 'scheduler',
      source: 'default-scheduler',
      type: 'Normal',
    });
  });

  it('falls back to the reporting component as an event source', () => {
    const event: KubeObject = {
      metadata: { name: 'e', namespace: 'default' },
      reportingComponent: 'kubelet',
    };
    expect(fieldsOf('events', event).source).toBe('kubelet');
  });

  it.each<[string, KubeObject, Record<string, string>]>([
    ['nodes', { metadata: { name: 'node-1' } }, { 'metadata.name': 'node-1', 'spec.unschedulable': 'false' }],
    [
      'nodes',
      { metadata: { name: 'node-1' }, spec: { unschedulable: true } },
      { 'metadata.name': 'node-1', 'spec.unschedulable': 'true' },
    ],
    [
      'namespaces',
      { metadata: { name: 'prod' }, status: { phase: 'Terminating' } },
      { 'metadata.name': 'prod', 'status.phase': 'Terminating' },
    ],
    [
      'secrets',
      { metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/tls' },
      { 'metadata.name': 's', 'metadata.namespace': 'default', type: 'kubernetes.io/tls' },
    ],
    [
      'services',
      {
        metadata: { name: 'svc', namespace: 'default' },
        spec: { clusterIP: '10.96.0.10', type: 'ClusterIP' },
      },
      {
        'metadata.name': 'svc',
        'metadata.namespace': 'default',
        'spec.clusterIP': '10.96.0.10',
        'spec.type': 'ClusterIP',
      },
    ],
    [
      'configmaps',
      { metadata: { name: 'cm', namespace: 'kube-system' }, data: { a: 'b' } },
      { 'metadata.name': 'cm', 'metadata.namespace': 'kube-system' },
    ],
    [
      'replicasets',
      { metadata: { name: 'rs', namespace: 'default' }, status: { replicas: 3 } },
      { 'metadata.name': 'rs', 'metadata.namespace': 'default' },
    ],
  ])('gives %s the fields of %j', (resource, obj, expected) => {
    expect(fieldsOf(resource, obj)).toEqual(expected);
  });
});

describe('FieldSelector.matches', () => {
  const onNode1 = 'spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed';
  it.each<[string, KubeObject, boolean]>([
    [onNode1, pod('a', 'node-1', 'Running'), true],
    [onNode1, pod('b', 'node-1', 'Pending'), true],
    [onNode1, pod('c', 'node-1', 'Succeeded'), false],
    [onNode1, pod('d', 'node-1', 'Failed'), false],
    [onNode1, pod('e', 'node-2', 'Running'), false],
    [onNode1, pod('f', undefined, 'Pending'), false],
    ['spec.nodeName=', pod('g', undefined, 'Pending'), true],
    ['spec.nodeName!=', pod('h', 'node-1', 'Running'), true],
    ['spec.nodeName!=', pod('i', undefined, 'Pending'), false],
    ['metadata.name=a', pod('a', 'node-1', 'Running'), true],
    ['metadata.name=a', pod('b', 'node-1', 'Running'), false],
    ['metadata.namespace!=default', pod('a', 'node-1', 'Running'), false],
    ['spec.hostNetwork=false', pod('a', 'node-1', 'Running'), true],
    ['status.podIPs=', pod('a', 'node-1', 'Running'), true],
    ['', pod('a', 'node-1', 'Running'), true],
  ])('%j against pod %j is %s', (text, obj, expected) => {
    const selector = parseFieldSelector(text).validateFor('pods');
    expect(selector.matches(fieldsOf('pods', obj))).toBe(expected);
  });

  const event = (name: string, namespace: string, uid: string): KubeObject => ({
    metadata: { name: `${name}.1`, namespace: 'default' },
    involvedObject: { kind: 'Node', name, namespace, uid },
  });
  const describeNode = 'involvedObject.name=x,involvedObject.namespace=,involvedObject.uid=y';
  it.each<[string, KubeObject, boolean]>([
    [describeNode, event('x', '', 'y'), true],
    [
      describeNode,
      { metadata: { name: 'e', namespace: 'default' }, involvedObject: { name: 'x', uid: 'y' } },
      true,
    ],
    [describeNode, event('x', 'default', 'y'), false],
    [describeNode, event('x', '', 'z'), false],
    [describeNode, event('w', '', 'y'), false],
  ])('%j against event %j is %s', (text, obj, expected) => {
    const selector = parseFieldSelector(text).validateFor('events');
    expect(selector.matches(fieldsOf('events', obj))).toBe(expected);
  });
});

describe('FieldSelector.validateFor', () => {
  it.each([
    ['pods', 'spec.nodeName=n,status.phase=Running,metadata.namespace=default'],
    ['pods', 'status.podIPs=10.0.0.1'],
    ['nodes', 'metadata.name=node-1,spec.unschedulable=false'],
    ['events', 'involvedObject.kind=Pod,reason=Killing,reportingComponent=k,source=s,type=Warning'],
    ['namespaces', 'status.phase=Active,metadata.name=default'],
    ['secrets', 'type=Opaque,metadata.namespace=default'],
    ['services', 'spec.clusterIP=None,spec.type=ClusterIP'],
    ['configmaps', 'metadata.name=a,metadata.namespace=b'],
    ['deployments', 'metadata.name=a'],
    ['leases', 'metadata.namespace=kube-node-lease'],
  ])('accepts for %s: %j', (resource, text) => {
    const selector = parseFieldSelector(text);
    expect(selector.validateFor(resource)).toBe(selector);
  });

  it.each([
    ['pods', 'spec.foo=x', 'field label not supported: spec.foo'],
    ['pods', 'metadata.name=a,status.hostIP=1.2.3.4', 'field label not supported: status.hostIP'],
    ['nodes', 'metadata.namespace=', 'field label not supported: metadata.namespace'],
    ['namespaces', 'metadata.namespace=', 'field label not supported: metadata.namespace'],
    ['namespaces', 'name=default', 'field label not supported: name'],
    ['events', 'involvedObject.foo=x', 'field label not supported: involvedObject.foo'],
    ['secrets', 'data=x', 'field label not supported: data'],
    [
      'configmaps',
      'foo.bar=baz',
      '"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
    [
      'replicasets',
      'status.replicas=1',
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
    [
      'deployments',
      ' metadata.name=a',
      '" metadata.name" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
  ])('rejects for %s: %j', (resource, text, message) => {
    const error = thrown(() => parseFieldSelector(text).validateFor(resource));
    expect(error.code).toBe(400);
    expect(error.reason).toBe('BadRequest');
    expect(error.message).toBe(message);
  });

  it("rewrites pods' legacy spec.host to spec.nodeName", () => {
    const selector = parseFieldSelector('spec.host=node-1').validateFor('pods');
    expect(selector.toString()).toBe('spec.nodeName=node-1');
    expect(selector.requiredValue('spec.nodeName')).toBe('node-1');
    expect(selector.matches(fieldsOf('pods', pod('a', 'node-1', 'Running')))).toBe(true);
    expect(thrown(() => parseFieldSelector('spec.host=n').validateFor('nodes')).message).toBe(
      'field label not supported: spec.host',
    );
  });

  it('keeps the everything selector valid for any resource', () => {
    expect(FieldSelector.everything().validateFor('nodes').isEmpty()).toBe(true);
  });
});

describe('parseFieldSelectorQuery', () => {
  it('parses and validates in one step', () => {
    expect(parseFieldSelectorQuery(undefined, 'pods').isEmpty()).toBe(true);
    expect(parseFieldSelectorQuery('spec.host=n', 'pods').toString()).toBe('spec.nodeName=n');
    expect(thrown(() => parseFieldSelectorQuery('spec.x=n', 'pods')).message).toBe(
      'field label not supported: spec.x',
    );
  });
});

describe('supportedFieldLabels', () => {
  it('lists the labels a kind accepts', () => {
    expect(supportedFieldLabels('nodes')).toEqual(['metadata.name', 'spec.unschedulable']);
    expect(supportedFieldLabels('configmaps')).toEqual(['metadata.name', 'metadata.namespace']);
  });
});
