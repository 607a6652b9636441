/**
 * Validation of the served kinds with upstream's rules and wording. `validateObject` returns the causes
 * of a 422 (`[]` means valid); `validationError` wraps them into the ApiError kubectl renders as
 * `The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
 *
 * Contract: inputs are plain JSON and are never modified. Objects are expected to have been through
 * `applyDefaults` first, as upstream validates after defaulting; fields that defaulting always fills
 * are reported as required when absent. With `old` (the stored object) the update rules apply too:
 * immutable identity, immutable selectors and cluster IPs, the Pod spec freeze, `immutable: true`
 * ConfigMaps and Secrets.
 */
import { invalid, type ApiError } from '../api-error.js';
import type { KubeObject } from '../api-object.js';
import type { ResourceInfo } from '../resource-registry.js';
import { child, fieldError, goLiteral, index, key, type FieldCause, invalidFor } from './field-error.js';
import { goQuote, goStruct, goStringSlice } from './go-format.js';
import {
  arrayAt,
  numberAt,
  objectAt,
  objectsAt,
  stringAt,
  stringsAt,
  type JsonObject,
  semanticallyEqual,
} from './json-shape.js';
import {
  CIDR_ERROR,
  IP_ERROR,
  ipFamilyOf,
  isCIDR,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isPortNumber,
  isQualifiedName,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  type NameValidator,
} from './name-rules.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta-validation.js';
import { validatePodUpdate } from './pod-update-validation.js';
import {
  validateBindingUpdate,
  validateClusterRole,
  validateClusterRoleBinding,
  validateRole,
  validateRoleBinding,
} from './rbac-validation.js';
import { validatePodCreate } from './pod-validation.js';
import { validateServiceSpec, validateServiceUpdate } from './service-validation.js';
import {
  validateDaemonSetSpec,
  validateDeploymentSpec,
  validateReplicaSetSpec,
  validateSelectorImmutable,
} from './workload-validation.js';

type Errs = FieldCause[];

export const MAX_SECRET_SIZE = 1024 * 1024;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

interface KindRules {
  validateName: NameValidator;
  validate?: (obj: JsonObject) => Errs;
  validateUpdate?: (obj: JsonObject, old: JsonObject) => Errs;
  /** Checked before metadata, with metadata checked only if these pass (upstream's order for Events). */
  metadataLast?: boolean;
}

// ---- ConfigMap and Secret ----

function decodedLength(base64: string): number | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1) return undefined;
  return Buffer.from(base64, 'base64').length;
}

function validateConfigMap(obj: JsonObject): Errs {
  const errs: Errs = [];
  const data = objectAt(obj.data) ?? {};
  const binaryData = objectAt(obj.binaryData) ?? {};
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...invalidFor(key('data', k), k, isConfigMapKey(k)));
    if (k in binaryData) {
      errs.push(fieldError.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    }
    size += Buffer.byteLength(stringAt(v));
  }
  for (const [k, v] of Object.entries(binaryData)) {
    errs.push(...invalidFor(key('binaryData', k), k, isConfigMapKey(k)));
    size += decodedLength(stringAt(v)) ?? 0;
  }
  if (size > MAX_SECRET_SIZE) errs.push(fieldError.tooLong('', MAX_SECRET_SIZE));
  return errs;
}

function immutableDataUpdate(obj: JsonObject, old: JsonObject, fields: string[]): Errs {
  if (old.immutable !== true) return [];
  const errs: Errs = [];
  if (obj.immutable !== true) errs.push(fieldError.forbidden('immutable', IMMUTABLE_WHEN_SET));
  for (const field of fields) {
    if (!semanticallyEqual(obj[field], old[field]))
      errs.push(fieldError.forbidden(field, IMMUTABLE_WHEN_SET));
  }
  return errs;
}

function validateSecret(obj: JsonObject): Errs {
  const errs: Errs = [];
  const data = objectAt(obj.data) ?? {};
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...invalidFor(key('data', k), k, isConfigMapKey(k)));
    const length = decodedLength(stringAt(v));
    // Upstream rejects undecodable values while decoding the body; here they reach admission.
    if (length === undefined) {
      errs.push(fieldError.invalid(key('data', k), '<secret contents redacted>', 'must be base64-encoded'));
    }
    size += length ?? 0;
  }
  if (size > MAX_SECRET_SIZE) errs.push(fieldError.tooLong('data', MAX_SECRET_SIZE));

  const annotations = objectAt(objectAt(obj.metadata)?.annotations) ?? {};
  const requireKeys = (...keys: string[]) => {
    for (const k of keys) if (!(k in data)) errs.push(fieldError.required(key('data', k)));
  };
  const requireJson = (k: string) => {
    if (!(k in data)) return requireKeys(k);
    try {
      JSON.parse(Buffer.from(stringAt(data[k]), 'base64').toString('utf8'));
    } catch (e) {
      errs.push(fieldError.invalid(key('data', k), '<secret contents redacted>', (e as Error).message));
    }
  };
  switch (stringAt(obj.type)) {
    case 'kubernetes.io/service-account-token':
      if (!stringAt(annotations['kubernetes.io/service-account.name'])) {
        errs.push(fieldError.required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
      requireJson('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      requireJson('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data)) requireKeys('username', 'password');
      break;
    case 'kubernetes.io/ssh-auth':
      if (!stringAt(data['ssh-privatekey'])) errs.push(fieldError.required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      requireKeys('tls.crt', 'tls.key');
      break;
  }
  return errs;
}

function validateSecretUpdate(obj: JsonObject, old: JsonObject): Errs {
  const errs: Errs = [];
  if (stringAt(obj.type) !== stringAt(old.type)) {
    errs.push(fieldError.invalid('type', stringAt(obj.type), 'field is immutable'));
  }
  errs.push(...immutableDataUpdate(obj, old, ['data']));
  return errs;
}

// ---- Namespace, Node ----

function validateNamespace(obj: JsonObject): Errs {
  const errs: Errs = [];
  for (const finalizer of stringsAt(objectAt(obj.spec)?.finalizers)) {
    const msgs = isQualifiedName(finalizer);
    errs.push(...invalidFor('spec.finalizers', finalizer, msgs));
    if (msgs.length === 0 && !finalizer.includes('/') && !STANDARD_FINALIZERS.includes(finalizer)) {
      errs.push(
        fieldError.invalid(
          'spec.finalizers',
          finalizer,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
    }
  }
  return errs;
}

function goTaint(taint: JsonObject): string {
  return goStruct('core.Taint', [
    ['Key', goQuote(stringAt(taint.key))],
    ['Value', goQuote(stringAt(taint.value))],
    ['Effect', goQuote(stringAt(taint.effect))],
    ['TimeAdded', taint.timeAdded ? '(*v1.Time)(0xc000000000)' : '(*v1.Time)(nil)'],
  ]);
}

function validateNode(obj: JsonObject): Errs {
  const errs: Errs = [];
  const spec = objectAt(obj.spec) ?? {};
  const seen = new Set<string>();
  objectsAt(spec.taints).forEach((taint, i) => {
    // Upstream reports taints under `metadata.taints`; kept so messages match.
    const taintPath = index('metadata.taints', i);
    const taintKey = stringAt(taint.key);
    errs.push(...invalidFor(child(taintPath, 'key'), taintKey, isQualifiedName(taintKey)));
    const valueMsgs = isLabelValue(stringAt(taint.value));
    if (valueMsgs.length) {
      errs.push(fieldError.invalid(child(taintPath, 'value'), stringAt(taint.value), valueMsgs.join(';')));
    }
    const effect = stringAt(taint.effect);
    if (!effect) errs.push(fieldError.required(child(taintPath, 'effect')));
    else if (!TAINT_EFFECTS.includes(effect)) {
      errs.push(fieldError.notSupported(child(taintPath, 'effect'), effect, TAINT_EFFECTS));
    }
    const id = `${effect}\u0000${taintKey}`;
    if (seen.has(id)) {
      const dup = fieldError.duplicate(taintPath, goLiteral(goTaint(taint)));
      errs.push({ ...dup, message: `${dup.message}: taints must be unique by key and effect pair` });
    }
    seen.add(id);
  });
  const podCIDRs = stringsAt(spec.podCIDRs);
  podCIDRs.forEach((cidr, i) => {
    if (!isCIDR(cidr)) errs.push(fieldError.invalid(index('spec.podCIDRs', i), cidr, CIDR_ERROR));
  });
  if (podCIDRs.length > 1) {
    const families = podCIDRs.map((c) => ipFamilyOf(c.split('/')[0]));
    if (podCIDRs.length > 2 || families[0] === families[1]) {
      errs.push(
        fieldError.invalid(
          'spec.podCIDRs',
          goLiteral(goStringSlice(podCIDRs)),
          'may specify no more than one CIDR for each IP family',
        ),
      );
    }
  }
  return errs;
}

function validateNodeUpdate(obj: JsonObject, old: JsonObject): Errs {
  const errs: Errs = [];
  const spec = objectAt(obj.spec) ?? {};
  const oldSpec = objectAt(old.spec) ?? {};
  const seen = new Set<string>();
  objectsAt(objectAt(obj.status)?.addresses).forEach((address, i) => {
    const id = `${stringAt(address.type)}\u0000${stringAt(address.address)}`;
    if (seen.has(id)) {
      const literal = goStruct('core.NodeAddress', [
        ['Type', goQuote(stringAt(address.type))],
        ['Address', goQuote(stringAt(address.address))],
      ]);
      errs.push(fieldError.duplicate(index('status.addresses', i), goLiteral(literal)));
    }
    seen.add(id);
  });
  const oldCIDRs = stringsAt(oldSpec.podCIDRs);
  const newCIDRs = stringsAt(spec.podCIDRs);
  if (
    oldCIDRs.length > 0 &&
    (oldCIDRs.length !== newCIDRs.length || oldCIDRs.some((c, i) => c !== newCIDRs[i]))
  ) {
    errs.push(
      fieldError.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'),
    );
  }
  const oldProvider = stringAt(oldSpec.providerID);
  if (oldProvider && oldProvider !== stringAt(spec.providerID)) {
    errs.push(
      fieldError.forbidden(
        'spec.providerID',
        'node updates may not change providerID except from "" to valid',
      ),
    );
  }
  return errs;
}

// ---- Endpoints, Event, Lease ----

function validateEndpoints(obj: JsonObject): Errs {
  const errs: Errs = [];
  objectsAt(obj.subsets).forEach((subset, i) => {
    const subsetPath = index('subsets', i);
    if (arrayAt(subset.addresses).length === 0 && arrayAt(subset.notReadyAddresses).length === 0) {
      errs.push(fieldError.required(subsetPath, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const list of ['addresses', 'notReadyAddresses']) {
      objectsAt(subset[list]).forEach((address, j) => {
        const addressPath = index(child(subsetPath, list), j);
        const ip = stringAt(address.ip);
        const hostname = stringAt(address.hostname);
        if (!ipFamilyOf(ip)) errs.push(fieldError.invalid(child(addressPath, 'ip'), ip, IP_ERROR));
        if (hostname) {
          errs.push(...invalidFor(child(addressPath, 'hostname'), hostname, isDNS1123Label(hostname)));
        }
        if (typeof address.nodeName === 'string') {
          errs.push(
            ...invalidFor(
              child(addressPath, 'nodeName'),
              address.nodeName,
              isDNS1123Subdomain(address.nodeName),
            ),
          );
        }
        errs.push(...nonSpecialIP(ip, child(addressPath, 'ip')));
      });
    }
    const ports = objectsAt(subset.ports);
    ports.forEach((port, j) => {
      const portPath = index(child(subsetPath, 'ports'), j);
      const name = stringAt(port.name);
      if (ports.length > 1 && !name) errs.push(fieldError.required(child(portPath, 'name')));
      else if (name) errs.push(...invalidFor(child(portPath, 'name'), name, isDNS1123Label(name)));
      const number = numberAt(port.port) ?? 0;
      errs.push(...invalidFor(child(portPath, 'port'), number, isPortNumber(number)));
      const protocol = stringAt(port.protocol);
      if (!protocol) errs.push(fieldError.required(child(portPath, 'protocol')));
      else if (!PROTOCOLS.includes(protocol)) {
        errs.push(fieldError.notSupported(child(portPath, 'protocol'), protocol, PROTOCOLS));
      }
    });
  });
  return errs;
}

/** Endpoint IPs must be routable pod or node addresses, never loopback, link-local or unspecified. */
function nonSpecialIP(ip: string, field: string): Errs {
  const family = ipFamilyOf(ip);
  if (!family) return [];
  const lower = ip.toLowerCase();
  if (ip === '0.0.0.0' || lower === '::') {
    return [fieldError.invalid(field, ip, `may not be unspecified (${ip})`)];
  }
  if (ip.startsWith('127.') || lower === '::1') {
    return [fieldError.invalid(field, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  }
  if (ip.startsWith('169.254.') || /^fe[89ab]/.test(lower)) {
    return [fieldError.invalid(field, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  }
  if (ip.startsWith('224.0.0.') || lower.startsWith('ff02:')) {
    return [
      fieldError.invalid(field, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'),
    ];
  }
  return [];
}

const EVENT_LIMITS = { reportingInstance: 128, action: 128, reason: 128, message: 4096 };

function validateEvent(obj: JsonObject): Errs {
  const errs: Errs = [];
  const namespace = stringAt(objectAt(obj.metadata)?.namespace);
  const involvedNamespace = stringAt(objectAt(obj.involvedObject)?.namespace);
  const mismatch = () =>
    fieldError.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace');
  if (!obj.eventTime) {
    // Events from the core/v1 API: only the namespace has to agree with the involved object.
    if (!involvedNamespace) {
      if (namespace && namespace !== 'default') errs.push(mismatch());
    } else if (namespace !== involvedNamespace) {
      errs.push(mismatch());
    }
  } else {
    if (!involvedNamespace && namespace !== 'default' && namespace !== 'kube-system') errs.push(mismatch());
    const controller = stringAt(obj.reportingComponent);
    if (!controller) errs.push(fieldError.required('reportingComponent'));
    errs.push(...invalidFor('reportingComponent', controller, isQualifiedName(controller)));
    for (const field of ['reportingInstance', 'action', 'reason'] as const) {
      const value = stringAt(obj[field]);
      if (!value) errs.push(fieldError.required(field));
      if (value.length > EVENT_LIMITS[field]) {
        errs.push(fieldError.invalid(field, '', `can have at most ${EVENT_LIMITS[field]} characters`));
      }
    }
    if (stringAt(obj.message).length > EVENT_LIMITS.message) {
      errs.push(fieldError.invalid('message', '', `can have at most ${EVENT_LIMITS.message} characters`));
    }
  }
  errs.push(...invalidFor('namespace', namespace, isDNS1123Subdomain(namespace)));
  return errs;
}

function validateLease(obj: JsonObject): Errs {
  const errs: Errs = [];
  const spec = objectAt(obj.spec) ?? {};
  const duration = numberAt(spec.leaseDurationSeconds);
  if (duration !== undefined && duration <= 0) {
    errs.push(fieldError.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  const transitions = numberAt(spec.leaseTransitions);
  if (transitions !== undefined && transitions < 0) {
    errs.push(fieldError.invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
  return errs;
}

function validateServiceAccount(obj: JsonObject): Errs {
  const errs: Errs = [];
  objectsAt(obj.secrets).forEach((ref, i) => {
    const name = stringAt(ref.name);
    if (name) errs.push(...invalidFor(child(index('secrets', i), 'name'), name, isDNS1123Subdomain(name)));
  });
  return errs;
}

const KINDS: Record<string, KindRules> = {
  '/Namespace': { validateName: nameIsDNSLabel, validate: validateNamespace },
  '/Node': { validateName: nameIsDNSSubdomain, validate: validateNode, validateUpdate: validateNodeUpdate },
  '/Pod': {
    validateName: nameIsDNSSubdomain,
    validate: validatePodCreate,
    validateUpdate: validatePodUpdate,
  },
  '/Service': {
    validateName: nameIsDNS1035Label,
    validate: validateServiceSpec,
    validateUpdate: validateServiceUpdate,
  },
  '/Endpoints': { validateName: nameIsDNSSubdomain, validate: validateEndpoints },
  '/ConfigMap': {
    validateName: nameIsDNSSubdomain,
    validate: validateConfigMap,
    validateUpdate: (obj, old) => immutableDataUpdate(obj, old, ['data', 'binaryData']),
  },
  '/Secret': {
    validateName: nameIsDNSSubdomain,
    validate: validateSecret,
    validateUpdate: validateSecretUpdate,
  },
  '/Event': { validateName: nameIsPathSegment, validate: validateEvent, metadataLast: true },
  '/ServiceAccount': { validateName: nameIsDNSSubdomain, validate: validateServiceAccount },
  'apps/Deployment': {
    validateName: nameIsDNSSubdomain,
    validate: validateDeploymentSpec,
    validateUpdate: validateSelectorImmutable,
  },
  'apps/ReplicaSet': {
    validateName: nameIsDNSSubdomain,
    validate: validateReplicaSetSpec,
    validateUpdate: validateSelectorImmutable,
  },
  'apps/DaemonSet': {
    validateName: nameIsDNSSubdomain,
    validate: validateDaemonSetSpec,
    validateUpdate: validateSelectorImmutable,
  },
  'coordination.k8s.io/Lease': { validateName: nameIsDNSSubdomain, validate: validateLease },
  'rbac.authorization.k8s.io/Role': { validateName: nameIsPathSegment, validate: validateRole },
  'rbac.authorization.k8s.io/ClusterRole': { validateName: nameIsPathSegment, validate: validateClusterRole },
  'rbac.authorization.k8s.io/RoleBinding': {
    validateName: nameIsPathSegment,
    validate: validateRoleBinding,
    validateUpdate: validateBindingUpdate,
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    validateName: nameIsPathSegment,
    validate: validateClusterRoleBinding,
    validateUpdate: validateBindingUpdate,
  },
};

const GENERIC_RULES: KindRules = { validateName: nameIsPathSegment };

function dedupe(causes: Errs): Errs {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const id = `${c.field}\u0000${c.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export function validateObject(resource: ResourceInfo, obj: KubeObject, old?: KubeObject): FieldCause[] {
  const rules = KINDS[`${resource.group}/${resource.kind}`] ?? GENERIC_RULES;
  const target = obj as JsonObject;
  const previous = old as JsonObject | undefined;
  const metaErrs = validateObjectMeta(obj.metadata, {
    namespaced: resource.namespaced,
    validateName: rules.validateName,
  });
  const updateErrs = previous ? validateObjectMetaUpdate(obj.metadata, old?.metadata) : [];
  const kindErrs = rules.validate?.(target) ?? [];
  const kindUpdateErrs = previous && rules.validateUpdate ? rules.validateUpdate(target, previous) : [];
  const ordered = rules.metadataLast
    ? [...kindErrs, ...kindUpdateErrs, ...(kindErrs.length ? [] : [...updateErrs, ...metaErrs])]
    : [...updateErrs, ...metaErrs, ...kindErrs, ...kindUpdateErrs];
  return dedupe(ordered);
}

/** The 422 for causes returned by `validateObject`. */
export function validationError(resource: ResourceInfo, obj: KubeObject, causes: FieldCause[]): ApiError {
  return invalid(resource.kind, resource.group, stringAt(objectAt(obj.metadata)?.name), causes);
}
