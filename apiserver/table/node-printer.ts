/**
 * Node rows as `kubectl get nodes` shows them: STATUS from the Ready condition plus SchedulingDisabled for
 * cordoned nodes, ROLES from the role labels.
 */

import type { KubeObject } from '../api-object.js';
import { DOCS } from './column-docs.js';
import { AGE_COLUMN, NAME_COLUMN, ageOf, arrayOf, nameOf, recordOf, stringOf } from './print-helpers.js';
import type { ResourcePrinter } from './table-types.js';
import { column } from './table-types.js';

const NODE_ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
/** The older single-valued role label, still honoured by upstream. */
const NODE_ROLE_LABEL = 'kubernetes.io/role';

function nodeStatus(node: KubeObject): string {
  const status = recordOf(node.status);
  // Upstream indexes conditions by type, so a later duplicate wins.
  const ready = arrayOf(status.conditions)
    .filter((c) => c.type === 'Ready')
    .at(-1);
  const parts = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (recordOf(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(labels: Record<string, string> | undefined): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(NODE_ROLE_LABEL_PREFIX)) {
      const role = key.slice(NODE_ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (key === NODE_ROLE_LABEL && value) {
      roles.add(value);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function firstAddress(node: KubeObject, type: string): string {
  const match = arrayOf(recordOf(node.status).addresses).find((a) => a.type === type);
  return match ? stringOf(match.address) : '<none>';
}

export const nodePrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', DOCS.nodeStatus),
    column('Roles', 'string', DOCS.nodeRoles),
    AGE_COLUMN,
    column('Version', 'string', DOCS.nodeKubeletVersion),
    column('Internal-IP', 'string', DOCS.nodeAddresses, { priority: 1 }),
    column('External-IP', 'string', DOCS.nodeAddresses, { priority: 1 }),
    column('OS-Image', 'string', DOCS.nodeOSImage, { priority: 1 }),
    column('Kernel-Version', 'string', DOCS.nodeKernelVersion, { priority: 1 }),
    column('Container-Runtime', 'string', DOCS.nodeContainerRuntime, { priority: 1 }),
  ],
  cells(node, now) {
    const info = recordOf(recordOf(node.status).nodeInfo);
    return [
      nameOf(node),
      nodeStatus(node),
      nodeRoles(node.metadata.labels),
      ageOf(node, now),
      stringOf(info.kubeletVersion),
      firstAddress(node, 'InternalIP'),
      firstAddress(node, 'ExternalIP'),
      stringOf(info.osImage) || '<unknown>',
      stringOf(info.kernelVersion) || '<unknown>',
      stringOf(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};
