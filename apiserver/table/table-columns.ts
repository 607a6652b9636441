/**
 * Which printer renders which resource. Resources without upstream printer columns get the generic
 * `Name, Created At` pair that upstream's default table convertor uses for CRDs and the like.
 */

import { DOCS } from './column-docs.js';
import { eventPrinter } from './event-printer.js';
import { nodePrinter } from './node-printer.js';
import { podPrinter } from './pod-printer.js';
import { roleBindingPrinter } from './rbac-printers.js';
import { NAME_COLUMN, nameOf, parseTimestamp } from './print-helpers.js';
import { endpointsPrinter, servicePrinter } from './service-printer.js';
import {
  configMapPrinter,
  leasePrinter,
  namespacePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './simple-printers.js';
import type { ResourcePrinter } from './table-types.js';
import { column } from './table-types.js';
import { daemonSetPrinter, deploymentPrinter, replicaSetPrinter } from './workload-printers.js';

/** Go's zero time formatted as RFC 3339, which is what upstream prints for an unset timestamp. */
const ZERO_RFC3339 = '0001-01-01T00:00:00Z';

function rfc3339(value: unknown): string {
  const ms = parseTimestamp(value);
  // Sub-second digits are dropped: Go's RFC3339 layout has none.
  return ms === undefined ? ZERO_RFC3339 : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const defaultPrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Created At', 'date', DOCS.creationTimestamp)],
  cells(obj) {
    return [nameOf(obj), rfc3339(obj.metadata.creationTimestamp)];
  },
};

const PRINTERS: Record<string, ResourcePrinter> = {
  pods: podPrinter,
  nodes: nodePrinter,
  services: servicePrinter,
  endpoints: endpointsPrinter,
  deployments: deploymentPrinter,
  replicasets: replicaSetPrinter,
  daemonsets: daemonSetPrinter,
  namespaces: namespacePrinter,
  events: eventPrinter,
  configmaps: configMapPrinter,
  secrets: secretPrinter,
  leases: leasePrinter,
  serviceaccounts: serviceAccountPrinter,
  rolebindings: roleBindingPrinter,
  clusterrolebindings: roleBindingPrinter,
};

export function printerFor(resourcePlural: string): ResourcePrinter {
  return Object.hasOwn(PRINTERS, resourcePlural) ? PRINTERS[resourcePlural] : defaultPrinter;
}
