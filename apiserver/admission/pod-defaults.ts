/**
 * Upstream's pod defaulting, split the way upstream splits it: `fillPodSpecDefaults` is what every
 * pod spec gets, including workload templates (SetDefaults_PodSpec, _Container, _Probe, _Volume, ...);
 * `fillPodDefaults` adds what only a real Pod gets (SetDefaults_Pod, the ServiceAccount, Priority and
 * DefaultTolerationSeconds admission plugins, and the status the create strategy sets). Both fill the
 * object in place: they only ever see the private copy `applyDefaults` made.
 */
import { parseQuantity } from './quantity.js';
import { arrayAt, ensureObject, isUnset, objectAt, stringAt, type JsonObject } from './json-shape.js';

/** Upstream's VolumeSource members, in the order its validation checks them. */
export const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flexVolume',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'csi',
  'quobyte',
  'scaleIO',
  'storageos',
  'projected',
  'ephemeral',
  'image',
] as const;

const DEFAULT_FILE_MODE = 0o644;
const CRITICAL_PRIORITIES: Record<string, number> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};

/**
 * The tag the kubelet would pull: `latest` when none is given, empty for digest-only references (which
 * is why `nginx@sha256:...` defaults to IfNotPresent).
 */
export function imageTag(image: string): string {
  if (!image) return '';
  const [name, digest] = image.split('@', 2);
  const lastColon = name.lastIndexOf(':');
  if (lastColon > name.lastIndexOf('/')) return name.slice(lastColon + 1);
  return digest === undefined ? 'latest' : '';
}

function setIfUnset(obj: JsonObject, key: string, value: unknown): void {
  if (isUnset(obj[key])) obj[key] = value;
}

function setIfAbsent(obj: JsonObject, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

function eachObject(value: unknown, fill: (obj: JsonObject) => void): void {
  for (const item of arrayAt(value)) {
    const obj = objectAt(item);
    if (obj) fill(obj);
  }
}

function fillHandlerDefaults(handler: JsonObject): void {
  const httpGet = objectAt(handler.httpGet);
  if (httpGet) {
    setIfUnset(httpGet, 'path', '/');
    setIfUnset(httpGet, 'scheme', 'HTTP');
  }
  const grpc = objectAt(handler.grpc);
  if (grpc) setIfAbsent(grpc, 'service', '');
}

function fillProbeDefaults(probe: JsonObject): void {
  fillHandlerDefaults(probe);
  setIfUnset(probe, 'timeoutSeconds', 1);
  setIfUnset(probe, 'periodSeconds', 10);
  setIfUnset(probe, 'successThreshold', 1);
  setIfUnset(probe, 'failureThreshold', 3);
}

/** Downward API references: field selectors default their apiVersion, resource selectors print divisor "0". */
function fillSelectorDefaults(source: JsonObject): void {
  const fieldRef = objectAt(source.fieldRef);
  if (fieldRef) setIfUnset(fieldRef, 'apiVersion', 'v1');
  const resourceFieldRef = objectAt(source.resourceFieldRef);
  if (resourceFieldRef) setIfAbsent(resourceFieldRef, 'divisor', '0');
}

function fillContainerDefaults(container: JsonObject): void {
  if (isUnset(container.imagePullPolicy)) {
    container.imagePullPolicy = imageTag(stringAt(container.image)) === 'latest' ? 'Always' : 'IfNotPresent';
  }
  setIfUnset(container, 'terminationMessagePath', '/dev/termination-log');
  setIfUnset(container, 'terminationMessagePolicy', 'File');
  if (!objectAt(container.resources)) container.resources = {};
  eachObject(container.ports, (port) => setIfUnset(port, 'protocol', 'TCP'));
  for (const probeKey of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = objectAt(container[probeKey]);
    if (probe) fillProbeDefaults(probe);
  }
  const lifecycle = objectAt(container.lifecycle);
  for (const hook of ['postStart', 'preStop']) {
    const handler = objectAt(lifecycle?.[hook]);
    if (handler) fillHandlerDefaults(handler);
  }
  eachObject(container.env, (env) => {
    const valueFrom = objectAt(env.valueFrom);
    if (valueFrom) fillSelectorDefaults(valueFrom);
  });
}

function fillVolumeDefaults(volume: JsonObject): void {
  if (!VOLUME_SOURCES.some((source) => volume[source] !== undefined && volume[source] !== null)) {
    volume.emptyDir = {};
  }
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const obj = objectAt(volume[source]);
    if (obj) setIfAbsent(obj, 'defaultMode', DEFAULT_FILE_MODE);
  }
  const hostPath = objectAt(volume.hostPath);
  if (hostPath) setIfAbsent(hostPath, 'type', '');
  eachObject(objectAt(volume.downwardAPI)?.items, fillSelectorDefaults);
  eachObject(objectAt(volume.projected)?.sources, (projection) => {
    const token = objectAt(projection.serviceAccountToken);
    if (token) setIfAbsent(token, 'expirationSeconds', 3600);
    eachObject(objectAt(projection.downwardAPI)?.items, fillSelectorDefaults);
  });
}

/** Defaults shared by Pods and pod templates. */
export function fillPodSpecDefaults(spec: JsonObject): void {
  setIfUnset(spec, 'dnsPolicy', 'ClusterFirst');
  setIfUnset(spec, 'restartPolicy', 'Always');
  if (!objectAt(spec.securityContext)) spec.securityContext = {};
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfUnset(spec, 'schedulerName', 'default-scheduler');
  // v1 keeps the deprecated `serviceAccount` as a mirror of `serviceAccountName`, in both directions.
  if (isUnset(spec.serviceAccountName) && !isUnset(spec.serviceAccount)) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  if (!isUnset(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  eachObject(spec.volumes, fillVolumeDefaults);
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    eachObject(spec[list], fillContainerDefaults);
  }
}

function copyLimitsIntoRequests(container: JsonObject): void {
  const resources = objectAt(container.resources);
  const limits = objectAt(resources?.limits);
  if (!resources || !limits) return;
  const requests = ensureObject(resources, 'requests');
  for (const [name, value] of Object.entries(limits)) setIfAbsent(requests, name, value);
}

function toleratesNoExecute(tolerations: JsonObject[], taintKey: string): boolean {
  return tolerations.some(
    (t) =>
      (stringAt(t.key) === taintKey || stringAt(t.key) === '') &&
      (stringAt(t.effect) === 'NoExecute' || stringAt(t.effect) === ''),
  );
}

function addDefaultTolerations(spec: JsonObject): void {
  const tolerations = arrayAt(spec.tolerations).slice();
  const existing = tolerations.map((t) => objectAt(t) ?? {});
  for (const taintKey of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!toleratesNoExecute(existing, taintKey)) {
      tolerations.push({ key: taintKey, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
  spec.tolerations = tolerations;
}

const QOS_RESOURCES = ['cpu', 'memory'] as const;

/** Upstream's QoS classification over app and init containers (requests already defaulted from limits). */
export function podQOSClass(spec: JsonObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const containers = [...arrayAt(spec.containers), ...arrayAt(spec.initContainers)].map(
    (c) => objectAt(c) ?? {},
  );
  for (const container of containers) {
    const resources = objectAt(container.resources) ?? {};
    const add = (into: Map<string, bigint>, list: unknown): Set<string> => {
      const found = new Set<string>();
      for (const name of QOS_RESOURCES) {
        const amount = parseQuantity(objectAt(list)?.[name]);
        if (amount !== undefined && amount > 0n) {
          found.add(name);
          into.set(name, (into.get(name) ?? 0n) + amount);
        }
      }
      return found;
    };
    add(requests, resources.requests);
    const limited = add(limits, resources.limits);
    if (!limited.has('cpu') || !limited.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, amount] of requests) {
      if (limits.get(name) !== amount) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/**
 * Fields upstream's admission plugins set once at creation; an update that leaves them out keeps the
 * stored values, as the Priority and ServiceAccount plugins do on update.
 */
const ADMISSION_OWNED_FIELDS = ['serviceAccountName', 'serviceAccount', 'priority', 'preemptionPolicy'];

/** Defaults for a Pod object; `oldPod` is the stored object when this is an update. */
export function fillPodDefaults(pod: JsonObject, oldPod?: JsonObject): void {
  const spec = ensureObject(pod, 'spec');
  const oldSpec = objectAt(oldPod?.spec);
  if (oldSpec) {
    for (const field of ADMISSION_OWNED_FIELDS) {
      if (isUnset(spec[field]) && !isUnset(oldSpec[field])) spec[field] = oldSpec[field];
    }
  }
  fillPodSpecDefaults(spec);

  for (const list of ['containers', 'initContainers']) eachObject(spec[list], copyLimitsIntoRequests);
  setIfAbsent(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const list of ['containers', 'initContainers']) {
      eachObject(spec[list], (container) =>
        eachObject(container.ports, (port) => {
          if (isUnset(port.hostPort)) port.hostPort = port.containerPort;
        }),
      );
    }
  }

  setIfUnset(spec, 'serviceAccountName', 'default');
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.priority === undefined || spec.priority === null) {
    const className = stringAt(spec.priorityClassName);
    if (!className) spec.priority = 0;
    else if (className in CRITICAL_PRIORITIES) spec.priority = CRITICAL_PRIORITIES[className];
  }
  setIfUnset(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  // DefaultTolerationSeconds admits updates too; adding tolerations is an update pods may make.
  addDefaultTolerations(spec);

  const status = ensureObject(pod, 'status');
  setIfUnset(status, 'phase', 'Pending');
  setIfUnset(status, 'qosClass', podQOSClass(spec));
}
