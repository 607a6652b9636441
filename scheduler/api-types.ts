/**
 * The Pod and Node shapes the scheduler reads, as plain JSON exactly as the API server serves them
 * (quantities are strings such as "100m" or "128Mi", or bare JSON numbers). Only fields the scheduler
 * looks at are typed, and every one is optional so objects from any client type-check against these.
 */

import type { LabelSelectorSpec } from '../machinery/label-selector.js';

/** resources.requests, status.allocatable, spec.overhead: resource name to quantity. */
export type ResourceList = Readonly<Record<string, string | number>>;

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string | null;
  deletionTimestamp?: string | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  ownerReferences?: OwnerReference[] | null;
}

export interface ContainerPort {
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
  name?: string;
}

export interface Container {
  name?: string;
  image?: string;
  ports?: ContainerPort[] | null;
  resources?: { requests?: ResourceList | null; limits?: ResourceList | null } | null;
  /** Only `Always` is meaningful, on init containers: a sidecar. */
  restartPolicy?: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string | null;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[] | null;
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[] | null;
  matchFields?: NodeSelectorRequirement[] | null;
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] | null } | null;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[] | null;
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelectorSpec | null;
  namespaces?: string[] | null;
  namespaceSelector?: LabelSelectorSpec | null;
  topologyKey: string;
}

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] | null;
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[] | null;
}

export interface Affinity {
  nodeAffinity?: NodeAffinity | null;
  podAffinity?: PodAffinity | null;
  podAntiAffinity?: PodAffinity | null;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: LabelSelectorSpec | null;
  minDomains?: number | null;
  matchLabelKeys?: string[] | null;
  nodeAffinityPolicy?: string | null;
  nodeTaintsPolicy?: string | null;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string> | null;
  affinity?: Affinity | null;
  tolerations?: Toleration[] | null;
  containers?: Container[] | null;
  initContainers?: Container[] | null;
  overhead?: ResourceList | null;
  priority?: number | null;
  priorityClassName?: string;
  preemptionPolicy?: string;
  schedulerName?: string;
  topologySpreadConstraints?: TopologySpreadConstraint[] | null;
  schedulingGates?: { name: string }[] | null;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: PodSpec;
  status?: { phase?: string; nominatedNodeName?: string } | null;
}

export interface Node {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { unschedulable?: boolean; taints?: Taint[] | null } | null;
  status?: { allocatable?: ResourceList | null; capacity?: ResourceList | null } | null;
}

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
