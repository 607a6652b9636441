import type { KubeObject } from '../api-object.js';
import { eventPrinter } from './event-printer.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const microAgo = (seconds: number) => ago(seconds).replace(/\.(\d{3})Z$/, '.$1456Z');

function event(fields: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-0.17c2a9f0b1e2d3c4', namespace: 'default', creationTimestamp: ago(600) },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-0', fieldPath: 'spec.containers{app}' },
    type: 'Normal',
    reason: 'Pulled',
    message: 'Successfully pulled image "nginx:1.27" in 1.2s\n',
    ...fields,
  };
}

function row(obj: KubeObject): Record<string, unknown> {
  const cells = eventPrinter.cells(obj, NOW);
  return Object.fromEntries(eventPrinter.columns.map((c, i) => [c.name, cells[i]]));
}

describe('event printer', () => {
  it('declares upstream columns: LAST SEEN TYPE REASON OBJECT MESSAGE, the rest wide', () => {
    expect(
      eventPrinter.columns.map((c) => `${c.name}:${c.priority}${c.format ? `:${c.format}` : ''}`),
    ).toEqual([
      'Last Seen:0',
      'Type:0',
      'Reason:0',
      'Object:0',
      'Subobject:1',
      'Source:1',
      'Message:0',
      'First Seen:1',
      'Count:1',
      'Name:1:name',
    ]);
  });

  it('prints an event recorded by the legacy API', () => {
    const ev = event({
      firstTimestamp: ago(600),
      lastTimestamp: ago(70),
      count: 3,
      source: { component: 'kubelet', host: 'kind-worker' },
    });
    expect(eventPrinter.cells(ev, NOW)).toEqual([
      '70s',
      'Normal',
      'Pulled',
      'pod/web-0',
      'spec.containers{app}',
      'kubelet, kind-worker',
      'Successfully pulled image "nginx:1.27" in 1.2s',
      '10m',
      3,
      'web-0.17c2a9f0b1e2d3c4',
    ]);
  });

  it('prints a series event written through events.k8s.io', () => {
    const ev = event({
      eventTime: microAgo(900),
      series: { count: 12, lastObservedTime: microAgo(30) },
      reportingComponent: 'default-scheduler',
      reportingInstance: 'default-scheduler-control-plane',
      type: 'Warning',
      reason: 'FailedScheduling',
      involvedObject: { kind: 'Pod', name: 'web-1' },
    });
    expect(row(ev)).toMatchObject({
      'Last Seen': '30s',
      'First Seen': '15m',
      Count: 12,
      Source: 'default-scheduler, default-scheduler-control-plane',
      Subobject: '',
      Object: 'pod/web-1',
    });
  });

  it('counts a singleton event without count as 1 and falls back to first-seen for last-seen', () => {
    const ev = event({ eventTime: microAgo(45), reportingComponent: 'deployment-controller' });
    expect(row(ev)).toMatchObject({
      'Last Seen': '45s',
      'First Seen': '45s',
      Count: 1,
      Source: 'deployment-controller',
    });
  });

  it('prints <unknown> when no timestamp is set at all, and the kind alone without a name', () => {
    const ev = event({ involvedObject: { kind: 'Node' } });
    expect(row(ev)).toMatchObject({
      'Last Seen': '<unknown>',
      'First Seen': '<unknown>',
      Object: 'node',
      Source: '',
    });
  });
});
