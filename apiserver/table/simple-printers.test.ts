import type { KubeObject } from '../api-object.js';
import {
  configMapPrinter,
  leasePrinter,
  namespacePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './simple-printers.js';
import type { ResourcePrinter } from './table-types.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const CREATED = new Date(NOW.getTime() - 8 * 24 * 3600 * 1000).toISOString();

function obj(kind: string, fields: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name: 'x', creationTimestamp: CREATED }, ...fields };
}

describe('simple printers', () => {
  it.each<[string, ResourcePrinter, string[]]>([
    ['namespaces', namespacePrinter, ['Name', 'Status', 'Age']],
    ['configmaps', configMapPrinter, ['Name', 'Data', 'Age']],
    ['secrets', secretPrinter, ['Name', 'Type', 'Data', 'Age']],
    ['serviceaccounts', serviceAccountPrinter, ['Name', 'Secrets', 'Age']],
    ['leases', leasePrinter, ['Name', 'Holder', 'Age']],
  ])('declares the upstream columns for %s', (_, printer, names) => {
    expect(printer.columns.map((c) => c.name)).toEqual(names);
    expect(printer.columns.every((c) => c.priority === 0)).toBe(true);
    expect(printer.columns[0].format).toBe('name');
  });

  it.each<[string, ResourcePrinter, KubeObject, unknown[]]>([
    [
      'an active namespace',
      namespacePrinter,
      obj('Namespace', { status: { phase: 'Active' } }),
      ['x', 'Active', '8d'],
    ],
    [
      'a terminating namespace',
      namespacePrinter,
      obj('Namespace', { status: { phase: 'Terminating' } }),
      ['x', 'Terminating', '8d'],
    ],
    ['a namespace without status', namespacePrinter, obj('Namespace', {}), ['x', '', '8d']],
    [
      'a configmap counting data and binaryData keys',
      configMapPrinter,
      obj('ConfigMap', { data: { 'app.conf': 'x', mode: 'y' }, binaryData: { 'logo.png': 'iVBORw0=' } }),
      ['x', 3, '8d'],
    ],
    ['an empty configmap', configMapPrinter, obj('ConfigMap', {}), ['x', 0, '8d']],
    [
      'a TLS secret',
      secretPrinter,
      obj('Secret', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'LS0t', 'tls.key': 'LS0t' } }),
      ['x', 'kubernetes.io/tls', 2, '8d'],
    ],
    ['a secret with the defaulted type', secretPrinter, obj('Secret', {}), ['x', 'Opaque', 0, '8d']],
    [
      'a service account with a token secret',
      serviceAccountPrinter,
      obj('ServiceAccount', { secrets: [{ name: 'x-token' }] }),
      ['x', 1, '8d'],
    ],
    ['a service account without secrets', serviceAccountPrinter, obj('ServiceAccount', {}), ['x', 0, '8d']],
    [
      'a held lease',
      leasePrinter,
      obj('Lease', { spec: { holderIdentity: 'kind-worker', leaseDurationSeconds: 40 } }),
      ['x', 'kind-worker', '8d'],
    ],
    ['a free lease', leasePrinter, obj('Lease', { spec: {} }), ['x', '', '8d']],
  ])('prints %s', (_, printer, object, expected) => {
    expect(printer.cells(object, NOW)).toEqual(expected);
  });
});
