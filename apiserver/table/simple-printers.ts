/**
 * The short column sets: namespaces (STATUS), configmaps (DATA), secrets (TYPE DATA), serviceaccounts
 * (SECRETS) and leases (HOLDER), each followed by AGE.
 */

import { DOCS } from './column-docs.js';
import { AGE_COLUMN, NAME_COLUMN, ageOf, arrayOf, nameOf, recordOf, stringOf } from './print-helpers.js';
import type { ResourcePrinter } from './table-types.js';
import { column } from './table-types.js';

function keyCount(value: unknown): number {
  return Object.keys(recordOf(value)).length;
}

export const namespacePrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Status', 'string', DOCS.namespaceStatus), AGE_COLUMN],
  cells(ns, now) {
    return [nameOf(ns), stringOf(recordOf(ns.status).phase), ageOf(ns, now)];
  },
};

export const configMapPrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Data', 'string', DOCS.configMapData), AGE_COLUMN],
  cells(cm, now) {
    return [nameOf(cm), keyCount(cm.data) + keyCount(cm.binaryData), ageOf(cm, now)];
  },
};

export const secretPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DOCS.secretType),
    column('Data', 'string', DOCS.secretData),
    AGE_COLUMN,
  ],
  cells(secret, now) {
    // `type` defaults to Opaque when the API server fills in defaults.
    return [nameOf(secret), stringOf(secret.type) || 'Opaque', keyCount(secret.data), ageOf(secret, now)];
  },
};

export const serviceAccountPrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Secrets', 'string', DOCS.serviceAccountSecrets), AGE_COLUMN],
  cells(sa, now) {
    return [nameOf(sa), arrayOf(sa.secrets).length, ageOf(sa, now)];
  },
};

export const leasePrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Holder', 'string', DOCS.leaseHolder), AGE_COLUMN],
  cells(lease, now) {
    return [nameOf(lease), stringOf(recordOf(lease.spec).holderIdentity), ageOf(lease, now)];
  },
};
