/**
 * Deployment, ReplicaSet and DaemonSet rows as `kubectl get deploy,rs,ds` shows them. Counts are JSON
 * numbers even where upstream declares the column as a string (Deployment's Up-to-date/Available): kubectl
 * prints the cell as it comes.
 */

import { DOCS } from './column-docs.js';
import { formatLabelSelector, labelSelectorString } from './label-selector-format.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  ageOf,
  formatLabels,
  layoutContainerCells,
  nameOf,
  numberOf,
  recordOf,
} from './print-helpers.js';
import type { ResourcePrinter } from './table-types.js';
import { column } from './table-types.js';

function podTemplateSpec(spec: Record<string, unknown>): Record<string, unknown> {
  return recordOf(recordOf(spec.template).spec);
}

/** `spec.replicas` defaults to 1 when the API server fills in defaults. */
function desiredReplicas(spec: Record<string, unknown>): number {
  return numberOf(spec.replicas, 1);
}

export const deploymentPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', DOCS.deploymentReady),
    column('Up-to-date', 'string', DOCS.deploymentUpdated),
    column('Available', 'string', DOCS.deploymentAvailable),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOCS.deploymentSelector, { priority: 1 }),
  ],
  cells(deployment, now) {
    const spec = recordOf(deployment.spec);
    const status = recordOf(deployment.status);
    const [names, images] = layoutContainerCells(podTemplateSpec(spec).containers);
    // Unlike the other workloads, an empty selector prints as an empty cell, not <none>.
    const selector = labelSelectorString(spec.selector) ?? '<invalid>';
    return [
      nameOf(deployment),
      `${numberOf(status.readyReplicas)}/${desiredReplicas(spec)}`,
      numberOf(status.updatedReplicas),
      numberOf(status.availableReplicas),
      ageOf(deployment, now),
      names,
      images,
      selector,
    ];
  },
};

export const replicaSetPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DOCS.replicaSetDesired),
    column('Current', 'integer', DOCS.replicaSetCurrent),
    column('Ready', 'integer', DOCS.replicaSetReady),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOCS.replicaSetSelector, { priority: 1 }),
  ],
  cells(replicaSet, now) {
    const spec = recordOf(replicaSet.spec);
    const status = recordOf(replicaSet.status);
    const [names, images] = layoutContainerCells(podTemplateSpec(spec).containers);
    return [
      nameOf(replicaSet),
      desiredReplicas(spec),
      numberOf(status.replicas),
      numberOf(status.readyReplicas),
      ageOf(replicaSet, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

export const daemonSetPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DOCS.daemonSetDesired),
    column('Current', 'integer', DOCS.daemonSetCurrent),
    column('Ready', 'integer', DOCS.daemonSetReady),
    column('Up-to-date', 'integer', DOCS.daemonSetUpdated),
    column('Available', 'integer', DOCS.daemonSetAvailable),
    column('Node Selector', 'string', DOCS.podNodeSelector),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOCS.daemonSetSelector, { priority: 1 }),
  ],
  cells(daemonSet, now) {
    const spec = recordOf(daemonSet.spec);
    const status = recordOf(daemonSet.status);
    const template = podTemplateSpec(spec);
    const [names, images] = layoutContainerCells(template.containers);
    return [
      nameOf(daemonSet),
      numberOf(status.desiredNumberScheduled),
      numberOf(status.currentNumberScheduled),
      numberOf(status.numberReady),
      numberOf(status.updatedNumberScheduled),
      numberOf(status.numberAvailable),
      formatLabels(template.nodeSelector),
      ageOf(daemonSet, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};
