/**
 * Container rules shared by app, init and template containers (upstream's validateContainerCommon and
 * the lists around it): names, images, ports, env, mounts, resources with exact quantity comparison,
 * probe and lifecycle handlers, and the init-container restrictions for non-restartable init
 * containers. Mounts are checked against the volume names that validated.
 */
import {
  child,
  fieldError,
  goLiteral,
  index,
  key,
  nonNegative,
  type FieldCause,
  invalidFor,
} from './field-error.js';
import {
  arrayAt,
  isPresent,
  numberAt,
  objectAt,
  objectsAt,
  stringAt,
  type JsonObject,
} from './json-shape.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isPortName,
  isPortNumber,
  isQualifiedName,
} from './name-rules.js';
import { QUANTITY_FORMAT_ERROR, isIntegerQuantity, parseQuantity, quantityText } from './quantity.js';
import { validateLocalPath } from './volume-validation.js';

type Errs = FieldCause[];

const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const CONTAINER_RESOURCE_FIELDS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const STANDARD_RESOURCES = [
  ...STANDARD_CONTAINER_RESOURCES,
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
];
const NOT_RESTARTABLE_INIT = 'may not be set for init containers without restartPolicy=Always';

export function validatePortNumOrName(port: unknown, field: string): Errs {
  if (typeof port === 'number') return isPortNumber(port).map((msg) => fieldError.invalid(field, port, msg));
  if (typeof port === 'string') return isPortName(port).map((msg) => fieldError.invalid(field, port, msg));
  return isPortNumber(0).map((msg) => fieldError.invalid(field, 0, msg));
}

function validateProtocol(protocol: unknown, field: string): Errs {
  const value = stringAt(protocol);
  if (!value) return [fieldError.required(field)];
  return SUPPORTED_PROTOCOLS.includes(value)
    ? []
    : [fieldError.notSupported(field, value, SUPPORTED_PROTOCOLS)];
}

function validateHandler(
  handler: JsonObject,
  kinds: readonly string[],
  field: string,
  gracePeriod: number,
): Errs {
  const errs: Errs = [];
  let count = 0;
  for (const kind of kinds) {
    if (!isPresent(handler[kind])) continue;
    const action = objectAt(handler[kind]) ?? {};
    const actionPath = child(field, kind);
    if (count > 0) {
      errs.push(fieldError.forbidden(actionPath, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    switch (kind) {
      case 'exec':
        if (arrayAt(action.command).length === 0) {
          errs.push(fieldError.required(child(actionPath, 'command')));
        }
        break;
      case 'httpGet': {
        if (!stringAt(action.path)) errs.push(fieldError.required(child(actionPath, 'path')));
        errs.push(...validatePortNumOrName(action.port, child(actionPath, 'port')));
        const scheme = stringAt(action.scheme);
        if (scheme !== 'HTTP' && scheme !== 'HTTPS') {
          errs.push(fieldError.notSupported(child(actionPath, 'scheme'), scheme, ['HTTP', 'HTTPS']));
        }
        for (const header of objectsAt(action.httpHeaders)) {
          const name = stringAt(header.name);
          if (!/^[-A-Za-z0-9]+$/.test(name)) {
            errs.push(
              fieldError.invalid(
                child(actionPath, 'httpHeaders'),
                name,
                "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
              ),
            );
          }
        }
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(action.port, child(actionPath, 'port')));
        break;
      case 'grpc':
        errs.push(...validatePortNumOrName(numberAt(action.port) ?? 0, child(actionPath, 'port')));
        break;
      case 'sleep': {
        const seconds = numberAt(action.seconds) ?? 0;
        if (seconds < 0 || seconds > gracePeriod) {
          errs.push(
            fieldError.invalid(
              child(actionPath, 'seconds'),
              seconds,
              `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`,
            ),
          );
        }
        break;
      }
    }
  }
  if (count === 0) errs.push(fieldError.required(field, 'must specify a handler type'));
  return errs;
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'];

function validateProbe(
  probe: unknown,
  kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe',
  field: string,
  gracePeriod: number,
): Errs {
  const p = objectAt(probe);
  if (!p) return [];
  const errs = validateHandler(p, PROBE_HANDLERS, field, gracePeriod);
  for (const counter of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    errs.push(...nonNegative(numberAt(p[counter]), child(field, counter)));
  }
  const probeGrace = numberAt(p.terminationGracePeriodSeconds);
  if (probeGrace !== undefined && probeGrace <= 0) {
    errs.push(
      fieldError.invalid(child(field, 'terminationGracePeriodSeconds'), probeGrace, 'must be greater than 0'),
    );
  }
  if (kind === 'readinessProbe' && isPresent(p.terminationGracePeriodSeconds)) {
    errs.push(
      fieldError.invalid(
        child(field, 'terminationGracePeriodSeconds'),
        probeGrace ?? null,
        'must not be set for readinessProbes',
      ),
    );
  }
  const successThreshold = numberAt(p.successThreshold) ?? 0;
  if (kind !== 'readinessProbe' && successThreshold !== 1) {
    errs.push(fieldError.invalid(child(field, 'successThreshold'), successThreshold, 'must be 1'));
  }
  return errs;
}

function validateLifecycle(lifecycle: unknown, field: string, gracePeriod: number): Errs {
  const l = objectAt(lifecycle) ?? {};
  const errs: Errs = [];
  for (const hook of ['postStart', 'preStop']) {
    const handler = objectAt(l[hook]);
    if (handler) errs.push(...validateHandler(handler, LIFECYCLE_HANDLERS, child(field, hook), gracePeriod));
  }
  return errs;
}

function validateContainerPorts(ports: unknown, field: string): Errs {
  const errs: Errs = [];
  const names = new Set<string>();
  objectsAt(ports).forEach((port, i) => {
    const portPath = index(field, i);
    const name = stringAt(port.name);
    if (name) {
      const msgs = isPortName(name);
      if (msgs.length) errs.push(...invalidFor(child(portPath, 'name'), name, msgs));
      else if (names.has(name)) errs.push(fieldError.duplicate(child(portPath, 'name'), name));
      else names.add(name);
    }
    const containerPort = numberAt(port.containerPort) ?? 0;
    if (containerPort === 0) errs.push(fieldError.required(child(portPath, 'containerPort')));
    else {
      errs.push(...invalidFor(child(portPath, 'containerPort'), containerPort, isPortNumber(containerPort)));
    }
    const hostPort = numberAt(port.hostPort) ?? 0;
    if (hostPort !== 0) {
      errs.push(...invalidFor(child(portPath, 'hostPort'), hostPort, isPortNumber(hostPort)));
    }
    errs.push(...validateProtocol(port.protocol, child(portPath, 'protocol')));
  });
  return errs;
}

function validateFieldRef(ref: JsonObject, field: string): Errs {
  if (!stringAt(ref.apiVersion)) return [fieldError.required(child(field, 'apiVersion'))];
  const path = stringAt(ref.fieldPath);
  if (!path) return [fieldError.required(child(field, 'fieldPath'))];
  const subscripted = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(path);
  if (subscripted) {
    const subscript =
      subscripted[1] === 'metadata.annotations' ? subscripted[2].toLowerCase() : subscripted[2];
    return isQualifiedName(subscript).map((msg) => fieldError.invalid(field, subscript, msg));
  }
  return ENV_FIELD_PATHS.includes(path)
    ? []
    : [fieldError.notSupported(child(field, 'fieldPath'), path, ENV_FIELD_PATHS)];
}

function validateKeySelector(ref: JsonObject, field: string): Errs {
  const errs: Errs = [];
  if (!stringAt(ref.name)) errs.push(fieldError.required(child(field, 'name')));
  const k = stringAt(ref.key);
  if (!k) errs.push(fieldError.required(child(field, 'key')));
  else errs.push(...invalidFor(child(field, 'key'), k, isConfigMapKey(k)));
  return errs;
}

function validateEnv(env: unknown, field: string): Errs {
  const errs: Errs = [];
  objectsAt(env).forEach((variable, i) => {
    const varPath = index(field, i);
    const name = stringAt(variable.name);
    if (!name) errs.push(fieldError.required(child(varPath, 'name')));
    errs.push(...invalidFor(child(varPath, 'name'), name, isEnvVarName(name)));
    const valueFrom = objectAt(variable.valueFrom);
    if (!valueFrom) return;
    const fromPath = child(varPath, 'valueFrom');
    let sources = 0;
    const fieldRef = objectAt(valueFrom.fieldRef);
    if (fieldRef) {
      sources++;
      errs.push(...validateFieldRef(fieldRef, child(fromPath, 'fieldRef')));
    }
    const resourceRef = objectAt(valueFrom.resourceFieldRef);
    if (resourceRef) {
      sources++;
      const resource = stringAt(resourceRef.resource);
      const refPath = child(fromPath, 'resourceFieldRef');
      if (!resource) errs.push(fieldError.required(child(refPath, 'resource')));
      else if (
        !CONTAINER_RESOURCE_FIELDS.includes(resource) &&
        !/^(limits|requests)\.hugepages-/.test(resource)
      ) {
        errs.push(fieldError.notSupported(child(refPath, 'resource'), resource, CONTAINER_RESOURCE_FIELDS));
      }
    }
    for (const selector of ['configMapKeyRef', 'secretKeyRef']) {
      const ref = objectAt(valueFrom[selector]);
      if (!ref) continue;
      sources++;
      errs.push(...validateKeySelector(ref, child(fromPath, selector)));
    }
    if (sources === 0) {
      errs.push(
        fieldError.invalid(
          fromPath,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (stringAt(variable.value)) {
      errs.push(fieldError.invalid(fromPath, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      errs.push(fieldError.invalid(fromPath, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, field: string): Errs {
  const errs: Errs = [];
  objectsAt(envFrom).forEach((source, i) => {
    const sourcePath = index(field, i);
    const prefix = stringAt(source.prefix);
    if (prefix) errs.push(...invalidFor(child(sourcePath, 'prefix'), prefix, isEnvVarName(prefix)));
    const refs = ['configMapRef', 'secretRef'].filter((r) => objectAt(source[r]));
    for (const ref of refs) {
      const name = stringAt(objectAt(source[ref])?.name);
      if (!name) errs.push(fieldError.required(child(sourcePath, ref, 'name')));
      else errs.push(...invalidFor(child(sourcePath, ref, 'name'), name, isDNS1123Subdomain(name)));
    }
    if (refs.length === 0) {
      errs.push(fieldError.invalid(sourcePath, '', 'must specify one of: `configMapRef` or `secretRef`'));
    } else if (refs.length > 1) {
      errs.push(fieldError.invalid(sourcePath, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: Set<string>, field: string): Errs {
  const errs: Errs = [];
  const mountPoints = new Set<string>();
  objectsAt(mounts).forEach((mount, i) => {
    const mountPath = index(field, i);
    const name = stringAt(mount.name);
    if (!name) errs.push(fieldError.required(child(mountPath, 'name')));
    if (!volumes.has(name)) errs.push(fieldError.notFound(child(mountPath, 'name'), name));
    const target = stringAt(mount.mountPath);
    if (!target) errs.push(fieldError.required(child(mountPath, 'mountPath')));
    if (mountPoints.has(target)) {
      errs.push(fieldError.invalid(child(mountPath, 'mountPath'), target, 'must be unique'));
    }
    mountPoints.add(target);
    const subPath = stringAt(mount.subPath);
    if (subPath) errs.push(...validateLocalPath(subPath, child(field, 'subPath')));
  });
  return errs;
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

function isExtendedResourceName(name: string): boolean {
  return (
    !isNativeResource(name) &&
    !name.startsWith('requests.') &&
    isQualifiedName(`requests.${name}`).length === 0
  );
}

function isStandardResourceName(name: string): boolean {
  const bare = name.replace(/^(requests|limits)\./, '');
  return (
    STANDARD_RESOURCES.includes(name) || STANDARD_CONTAINER_RESOURCES.includes(bare) || isHugePages(bare)
  );
}

function validateContainerResourceName(name: string, field: string): Errs {
  const errs = isQualifiedName(name).map((msg) => fieldError.invalid(field, name, msg));
  const prefixed = name.includes('/');
  if (errs.length === 0 && !prefixed && !isStandardResourceName(name)) {
    errs.push(fieldError.invalid(field, name, 'must be a standard resource type or fully qualified'));
  }
  if (!prefixed) {
    if (!STANDARD_CONTAINER_RESOURCES.includes(name) && !isHugePages(name)) {
      errs.push(fieldError.invalid(field, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(fieldError.invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function validateQuantityValue(name: string, value: unknown, field: string): { errs: Errs; amount?: bigint } {
  const text = quantityText(value) ?? '';
  const amount = parseQuantity(value);
  if (amount === undefined) return { errs: [fieldError.invalid(field, text, QUANTITY_FORMAT_ERROR)] };
  if (amount < 0n) {
    return { errs: [fieldError.invalid(field, text, 'must be greater than or equal to 0')], amount };
  }
  if (!isNativeResource(name) && !isIntegerQuantity(amount)) {
    // Quantities print through their String() method here, so unquoted.
    return { errs: [fieldError.invalid(field, goLiteral(text), 'must be an integer')], amount };
  }
  return { errs: [], amount };
}

function validateResources(resources: unknown, field: string): Errs {
  const r = objectAt(resources) ?? {};
  const errs: Errs = [];
  const limitsPath = child(field, 'limits');
  const requestsPath = child(field, 'requests');
  const limits = new Map<string, { text: string; amount?: bigint }>();
  for (const [name, value] of Object.entries(objectAt(r.limits) ?? {})) {
    const namePath = key(limitsPath, name);
    errs.push(...validateContainerResourceName(name, namePath));
    const checked = validateQuantityValue(name, value, namePath);
    errs.push(...checked.errs);
    limits.set(name, { text: quantityText(value) ?? '', amount: checked.amount });
  }
  for (const [name, value] of Object.entries(objectAt(r.requests) ?? {})) {
    const namePath = key(requestsPath, name);
    errs.push(...validateContainerResourceName(name, namePath));
    const checked = validateQuantityValue(name, value, namePath);
    errs.push(...checked.errs);
    const limit = limits.get(name);
    const text = quantityText(value) ?? '';
    if (limit) {
      if (checked.amount === undefined || limit.amount === undefined) continue;
      if (checked.amount !== limit.amount && !isOvercommitAllowed(name)) {
        errs.push(fieldError.invalid(requestsPath, text, `must be equal to ${name} limit of ${limit.text}`));
      } else if (checked.amount > limit.amount) {
        errs.push(
          fieldError.invalid(
            requestsPath,
            text,
            `must be less than or equal to ${name} limit of ${limit.text}`,
          ),
        );
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fieldError.required(limitsPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

export function validateEnumField(value: unknown, field: string, supported: readonly string[]): Errs {
  const v = stringAt(value);
  if (!v) return [fieldError.required(field)];
  return supported.includes(v) ? [] : [fieldError.notSupported(field, v, supported)];
}

function validateContainerCommon(container: JsonObject, volumes: Set<string>, field: string): Errs {
  const errs: Errs = [];
  const name = stringAt(container.name);
  const namePath = child(field, 'name');
  if (!name) errs.push(fieldError.required(namePath));
  else errs.push(...invalidFor(namePath, name, isDNS1123Label(name)));
  if (!stringAt(container.image)) errs.push(fieldError.required(child(field, 'image')));
  errs.push(
    ...validateEnumField(
      container.terminationMessagePolicy,
      child(field, 'terminationMessagePolicy'),
      TERMINATION_MESSAGE_POLICIES,
    ),
  );
  errs.push(...validateContainerPorts(container.ports, child(field, 'ports')));
  errs.push(...validateEnv(container.env, child(field, 'env')));
  errs.push(...validateEnvFrom(container.envFrom, child(field, 'envFrom')));
  errs.push(...validateVolumeMounts(container.volumeMounts, volumes, child(field, 'volumeMounts')));
  errs.push(...validateEnumField(container.imagePullPolicy, child(field, 'imagePullPolicy'), PULL_POLICIES));
  errs.push(...validateResources(container.resources, child(field, 'resources')));
  return errs;
}

function validateRestartableHooks(container: JsonObject, field: string, gracePeriod: number): Errs {
  const errs: Errs = [];
  if (objectAt(container.lifecycle)) {
    errs.push(...validateLifecycle(container.lifecycle, child(field, 'lifecycle'), gracePeriod));
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    errs.push(...validateProbe(container[probe], probe, child(field, probe), gracePeriod));
  }
  return errs;
}

function hostPortConflicts(containers: JsonObject[], field: string, seen: Set<string>): Errs {
  const errs: Errs = [];
  containers.forEach((container, ci) => {
    objectsAt(container.ports).forEach((port, pi) => {
      const hostPort = numberAt(port.hostPort) ?? 0;
      if (hostPort === 0) return;
      const id = `${stringAt(port.hostIP)}/${stringAt(port.protocol)}/${hostPort}`;
      if (seen.has(id)) {
        errs.push(fieldError.duplicate(child(index(child(index(field, ci), 'ports'), pi), 'hostPort'), id));
      } else seen.add(id);
    });
  });
  return errs;
}

export function validateContainers(
  containers: JsonObject[],
  volumes: Set<string>,
  field: string,
  gracePeriod: number,
): Errs {
  if (containers.length === 0) return [fieldError.required(field)];
  const errs: Errs = [];
  const names = new Set<string>();
  containers.forEach((container, i) => {
    const containerPath = index(field, i);
    errs.push(...validateContainerCommon(container, volumes, containerPath));
    const name = stringAt(container.name);
    if (names.has(name)) errs.push(fieldError.duplicate(child(containerPath, 'name'), name));
    else names.add(name);
    errs.push(...validateRestartableHooks(container, containerPath, gracePeriod));
    if (isPresent(container.restartPolicy)) {
      errs.push(
        fieldError.forbidden(child(containerPath, 'restartPolicy'), 'may not be set for non-init containers'),
      );
    }
  });
  errs.push(...hostPortConflicts(containers, field, new Set()));
  return errs;
}

export function validateInitContainers(
  initContainers: JsonObject[],
  containers: JsonObject[],
  volumes: Set<string>,
  field: string,
  gracePeriod: number,
): Errs {
  const errs: Errs = [];
  const names = new Set(containers.map((c) => stringAt(c.name)));
  initContainers.forEach((container, i) => {
    const containerPath = index(field, i);
    errs.push(...validateContainerCommon(container, volumes, containerPath));
    let restartable = false;
    if (isPresent(container.restartPolicy)) {
      const policy = stringAt(container.restartPolicy);
      restartable = policy === 'Always';
      if (!restartable) {
        errs.push(fieldError.notSupported(child(containerPath, 'restartPolicy'), policy, ['Always']));
      }
    }
    const name = stringAt(container.name);
    if (names.has(name)) errs.push(fieldError.duplicate(child(containerPath, 'name'), name));
    else if (name) names.add(name);
    // Init containers run one at a time, so host ports only conflict within one container.
    errs.push(...hostPortConflicts([container], field, new Set()));
    if (restartable) {
      errs.push(...validateRestartableHooks(container, containerPath, gracePeriod));
    } else {
      for (const hook of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (isPresent(container[hook])) {
          errs.push(fieldError.forbidden(child(containerPath, hook), NOT_RESTARTABLE_INIT));
        }
      }
    }
  });
  return errs;
}
