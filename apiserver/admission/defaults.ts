/**
 * Defaulting for the served kinds, as upstream's defaulters, admission plugins and create strategies
 * leave an object before it is validated and stored, so `kubectl get -o yaml` and `describe` show the
 * same fields they show against a real cluster (`strategy: RollingUpdate 25%/25%`, `Port: 80/TCP`).
 *
 * Contract: `applyDefaults(resource, obj, old?)` returns a new object and never touches `obj` or
 * `old`. `old` is the stored object when the write is an update; it only serves to carry server-owned
 * values the client may have left out (Service cluster IPs and node ports, Namespace finalizers,
 * admission-set Pod fields), as upstream's update strategies do. Zero-valued structs that Go always
 * serialises (`resources: {}`, `status: {loadBalancer: {}}`) are filled in too, since objects here are
 * stored as plain JSON rather than typed structs.
 */
import type { KubeObject } from '../api-object.js';
import type { ResourceInfo } from '../resource-registry.js';
import { fillPodDefaults, fillPodSpecDefaults } from './pod-defaults.js';
import {
  arrayAt,
  ensureObject,
  isUnset,
  objectAt,
  stringAt,
  stringsAt,
  type JsonObject,
} from './json-shape.js';
import { ipFamilyOf } from './name-rules.js';
import { cloneJson } from '../clone-json.js';
import { defaultBindingSubjects } from './rbac-validation.js';

/** Fills `obj` in place; `old` is read only. */
type Defaulter = (obj: JsonObject, old: JsonObject | undefined) => void;

function setIfUnset(obj: JsonObject, key: string, value: unknown): void {
  if (isUnset(obj[key])) obj[key] = value;
}

function setIfAbsent(obj: JsonObject, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

function fillTemplateDefaults(spec: JsonObject): void {
  const template = ensureObject(spec, 'template');
  fillPodSpecDefaults(ensureObject(template, 'spec'));
}

function defaultDeployment(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  const strategy = ensureObject(spec, 'strategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObject(strategy, 'rollingUpdate');
    setIfAbsent(rollingUpdate, 'maxUnavailable', '25%');
    setIfAbsent(rollingUpdate, 'maxSurge', '25%');
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  setIfAbsent(spec, 'progressDeadlineSeconds', 600);
  fillTemplateDefaults(spec);
  ensureObject(obj, 'status');
}

function defaultReplicaSet(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  fillTemplateDefaults(spec);
  setIfAbsent(ensureObject(obj, 'status'), 'replicas', 0);
}

function defaultDaemonSet(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  const strategy = ensureObject(spec, 'updateStrategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObject(strategy, 'rollingUpdate');
    setIfAbsent(rollingUpdate, 'maxUnavailable', 1);
    setIfAbsent(rollingUpdate, 'maxSurge', 0);
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  fillTemplateDefaults(spec);
  const status = ensureObject(obj, 'status');
  for (const counter of [
    'currentNumberScheduled',
    'numberMisscheduled',
    'desiredNumberScheduled',
    'numberReady',
  ]) {
    setIfAbsent(status, counter, 0);
  }
}

function isExternallyAccessible(spec: JsonObject): boolean {
  return (
    spec.type === 'NodePort' ||
    spec.type === 'LoadBalancer' ||
    (spec.type === 'ClusterIP' && arrayAt(spec.externalIPs).length > 0)
  );
}

function needsNodePorts(spec: JsonObject): boolean {
  return (
    spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)
  );
}

/** What upstream's service storage copies from the stored Service when an update omits allocated values. */
function carryOverAllocations(spec: JsonObject, oldSpec: JsonObject): void {
  const oldType = stringAt(oldSpec.type) || 'ClusterIP';
  if (spec.type !== 'ExternalName' && oldType !== 'ExternalName') {
    setIfUnset(spec, 'clusterIP', oldSpec.clusterIP);
    if (arrayAt(spec.clusterIPs).length === 0 && arrayAt(oldSpec.clusterIPs).length > 0) {
      spec.clusterIPs = arrayAt(oldSpec.clusterIPs).slice();
    }
  }
  if (needsNodePorts(spec) && needsNodePorts({ ...oldSpec, type: oldType })) {
    const portsOf = (s: JsonObject) => arrayAt(s.ports).map((p) => objectAt(p) ?? {});
    const oldByName = new Map(portsOf(oldSpec).map((p) => [stringAt(p.name), p.nodePort]));
    const inUse = new Set(
      portsOf(spec)
        .map((p) => p.nodePort)
        .filter((n) => !isUnset(n)),
    );
    for (const port of portsOf(spec)) {
      const previous = oldByName.get(stringAt(port.name));
      if (isUnset(port.nodePort) && !isUnset(previous) && !inUse.has(previous)) port.nodePort = previous;
    }
  }
  if (isUnset(spec.healthCheckNodePort) && !isUnset(oldSpec.healthCheckNodePort)) {
    if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
      spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
    }
  }
}

function sameStrings(a: unknown, b: unknown): boolean {
  const x = stringsAt(a);
  const y = stringsAt(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * `clusterIP` and `clusterIPs[0]` are one value in two fields. Old clients only send the singular one,
 * so it seeds the list; the list never seeds the singular field (validation reports the mismatch).
 * On update a changed singular value replaces an unchanged list, so the immutability check sees it.
 */
function normalizeClusterIPs(spec: JsonObject, oldSpec: JsonObject | undefined): void {
  const clusterIP = stringAt(spec.clusterIP);
  if (!oldSpec) {
    if (clusterIP && arrayAt(spec.clusterIPs).length === 0) spec.clusterIPs = [clusterIP];
    return;
  }
  const oldClusterIP = stringAt(oldSpec.clusterIP);
  if (oldClusterIP === clusterIP) return;
  if (oldClusterIP && !clusterIP && sameStrings(spec.clusterIPs, oldSpec.clusterIPs)) delete spec.clusterIPs;
  if (clusterIP && sameStrings(spec.clusterIPs, oldSpec.clusterIPs)) spec.clusterIPs = [clusterIP];
}

function defaultIPFamilies(spec: JsonObject): void {
  if (spec.type === 'ExternalName') return;
  const clusterIPs = stringsAt(spec.clusterIPs);
  const headless = clusterIPs[0] === 'None';
  const hasSelector = Object.keys(objectAt(spec.selector) ?? {}).length > 0;
  if (headless && !hasSelector) {
    // Headless without selector: families describe whatever endpoints get written by hand.
    setIfUnset(spec, 'ipFamilyPolicy', 'RequireDualStack');
    if (arrayAt(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4', 'IPv6'];
    return;
  }
  if (arrayAt(spec.ipFamilies).length === 0) {
    const families = clusterIPs.map(ipFamilyOf).filter((f): f is 'IPv4' | 'IPv6' => f !== undefined);
    spec.ipFamilies = families.length ? families : ['IPv4'];
  }
  setIfUnset(
    spec,
    'ipFamilyPolicy',
    arrayAt(spec.ipFamilies).length > 1 ? 'RequireDualStack' : 'SingleStack',
  );
}

function defaultService(obj: JsonObject, old: JsonObject | undefined): void {
  const spec = ensureObject(obj, 'spec');
  setIfUnset(spec, 'type', 'ClusterIP');
  const oldSpec = objectAt(old?.spec);
  if (oldSpec) carryOverAllocations(spec, oldSpec);

  setIfUnset(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ensureObject(ensureObject(spec, 'sessionAffinityConfig'), 'clientIP');
    setIfAbsent(clientIP, 'timeoutSeconds', 10800);
  }
  for (const item of arrayAt(spec.ports)) {
    const port = objectAt(item);
    if (!port) continue;
    setIfUnset(port, 'protocol', 'TCP');
    setIfUnset(port, 'targetPort', port.port);
  }
  if (isExternallyAccessible(spec)) setIfUnset(spec, 'externalTrafficPolicy', 'Cluster');
  if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(stringAt(spec.type))) {
    setIfUnset(spec, 'internalTrafficPolicy', 'Cluster');
  }
  if (spec.type === 'LoadBalancer') setIfAbsent(spec, 'allocateLoadBalancerNodePorts', true);

  normalizeClusterIPs(spec, oldSpec);
  defaultIPFamilies(spec);

  setIfAbsent(ensureObject(obj, 'status'), 'loadBalancer', {});
}

function defaultSecret(obj: JsonObject): void {
  setIfUnset(obj, 'type', 'Opaque');
  // `stringData` is write-only: upstream folds it into `data` on decode and never stores it.
  const stringData = objectAt(obj.stringData);
  if (stringData) {
    const data = { ...(objectAt(obj.data) ?? {}) };
    for (const [k, v] of Object.entries(stringData)) {
      data[k] = Buffer.from(typeof v === 'string' ? v : String(v), 'utf8').toString('base64');
    }
    obj.data = data;
  }
  delete obj.stringData;
}

function defaultNamespace(obj: JsonObject, old: JsonObject | undefined): void {
  const metadata = ensureObject(obj, 'metadata');
  const name = stringAt(metadata.name);
  if (name) ensureObject(metadata, 'labels')['kubernetes.io/metadata.name'] = name;
  const spec = ensureObject(obj, 'spec');
  const oldSpec = objectAt(old?.spec);
  if (old) {
    // Finalizers only change through the /finalize subresource.
    if (oldSpec?.finalizers !== undefined) spec.finalizers = arrayAt(oldSpec.finalizers).slice();
    else delete spec.finalizers;
  } else {
    const finalizers = stringsAt(spec.finalizers);
    if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
  }
  setIfUnset(ensureObject(obj, 'status'), 'phase', 'Active');
}

const NODE_INFO_FIELDS = [
  'architecture',
  'bootID',
  'containerRuntimeVersion',
  'kernelVersion',
  'kubeProxyVersion',
  'kubeletVersion',
  'machineID',
  'operatingSystem',
  'osImage',
  'systemUUID',
];

function defaultNode(obj: JsonObject): void {
  ensureObject(obj, 'spec');
  const status = ensureObject(obj, 'status');
  const capacity = objectAt(status.capacity);
  if (capacity && !objectAt(status.allocatable)) status.allocatable = { ...capacity };
  setIfAbsent(ensureObject(ensureObject(status, 'daemonEndpoints'), 'kubeletEndpoint'), 'Port', 0);
  const nodeInfo = ensureObject(status, 'nodeInfo');
  for (const field of NODE_INFO_FIELDS) setIfAbsent(nodeInfo, field, '');
}

function defaultEndpoints(obj: JsonObject): void {
  for (const subset of arrayAt(obj.subsets)) {
    for (const port of arrayAt(objectAt(subset)?.ports)) {
      const p = objectAt(port);
      if (p) setIfUnset(p, 'protocol', 'TCP');
    }
  }
}

function defaultEvent(obj: JsonObject): void {
  ensureObject(obj, 'involvedObject');
  ensureObject(obj, 'source');
  for (const timestamp of ['eventTime', 'firstTimestamp', 'lastTimestamp']) {
    if (obj[timestamp] === undefined) obj[timestamp] = null;
  }
  setIfAbsent(obj, 'reportingComponent', '');
  setIfAbsent(obj, 'reportingInstance', '');
}

function defaultLease(obj: JsonObject): void {
  ensureObject(obj, 'spec');
}

const DEFAULTERS: Record<string, Defaulter> = {
  '/Pod': (obj, old) => fillPodDefaults(obj, old),
  '/Service': defaultService,
  '/Secret': defaultSecret,
  '/Namespace': defaultNamespace,
  '/Node': defaultNode,
  '/Endpoints': defaultEndpoints,
  '/Event': defaultEvent,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/DaemonSet': defaultDaemonSet,
  'coordination.k8s.io/Lease': defaultLease,
  'rbac.authorization.k8s.io/RoleBinding': defaultBindingSubjects,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultBindingSubjects,
};

export function applyDefaults(resource: ResourceInfo, obj: KubeObject, old?: KubeObject): KubeObject {
  const copy = cloneJson(obj);
  // Defaulters only read `old` and carry scalars (or fresh copies) from it, so it needs no copy.
  DEFAULTERS[`${resource.group}/${resource.kind}`]?.(copy as JsonObject, old as JsonObject | undefined);
  return copy;
}
