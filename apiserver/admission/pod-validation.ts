/**
 * Pod spec validation as upstream's ValidatePodSpec does it, for Pods and for the pod templates inside
 * workloads: volumes and containers (see their modules), restart and DNS policies, scheduling fields,
 * tolerations. Expects a defaulted spec: fields defaulting always fills (protocols, pull policy,
 * restartPolicy, ...) are reported as required when missing, as upstream does.
 */
import { child, fieldError, goLiteral, index, type FieldCause, invalidFor } from './field-error.js';
import { goQuote, goStruct, goStringSlice } from './go-format.js';
import {
  arrayAt,
  isPresent,
  numberAt,
  objectAt,
  objectsAt,
  stringAt,
  stringMapAt,
  stringsAt,
  type JsonObject,
} from './json-shape.js';
import { validateLabels } from './label-selector.js';
import {
  IP_ERROR,
  inclusiveRangeError,
  ipFamilyOf,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isLabelValue,
} from './name-rules.js';
import { validateAnnotations } from './object-meta-validation.js';
import { validateContainers, validateEnumField, validateInitContainers } from './container-validation.js';
import { validateVolumes } from './volume-validation.js';

type Errs = FieldCause[];

const MAX_INT32 = 2147483647;
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

function goToleration(t: JsonObject): string {
  const seconds = numberAt(t.tolerationSeconds);
  return goStruct('core.Toleration', [
    ['Key', goQuote(stringAt(t.key))],
    ['Operator', goQuote(stringAt(t.operator))],
    ['Value', goQuote(stringAt(t.value))],
    ['Effect', goQuote(stringAt(t.effect))],
    ['TolerationSeconds', seconds === undefined ? '(*int64)(nil)' : `(*int64)(${seconds})`],
  ]);
}

export function validateTolerations(tolerations: unknown, field: string): Errs {
  const errs: Errs = [];
  objectsAt(tolerations).forEach((t, i) => {
    const tPath = index(field, i);
    const tKey = stringAt(t.key);
    const operator = stringAt(t.operator);
    const effect = stringAt(t.effect);
    if (tKey) errs.push(...invalidFor(child(tPath, 'key'), tKey, isQualifiedName(tKey)));
    if (!tKey && operator !== 'Exists') {
      errs.push(
        fieldError.invalid(
          child(tPath, 'operator'),
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (isPresent(t.tolerationSeconds) && effect !== 'NoExecute') {
      errs.push(
        fieldError.invalid(
          child(tPath, 'effect'),
          effect,
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (operator) {
      case 'Equal':
      case '': {
        const msgs = isLabelValue(stringAt(t.value));
        if (msgs.length) {
          errs.push(fieldError.invalid(child(tPath, 'operator'), stringAt(t.value), msgs.join(';')));
        }
        break;
      }
      case 'Exists':
        if (stringAt(t.value)) {
          errs.push(
            fieldError.invalid(
              child(tPath, 'operator'),
              goLiteral(goToleration(t)),
              "value must be empty when `operator` is 'Exists'",
            ),
          );
        }
        break;
      default:
        errs.push(fieldError.notSupported(child(tPath, 'operator'), operator, ['Equal', 'Exists']));
    }
    if (effect && !TAINT_EFFECTS.includes(effect)) {
      errs.push(fieldError.notSupported(child(tPath, 'effect'), effect, TAINT_EFFECTS));
    }
  });
  return errs;
}

function validateHostNetworkPorts(
  spec: JsonObject,
  containers: JsonObject[],
  field: string,
  isPod: boolean,
): Errs {
  if (spec.hostNetwork !== true) return [];
  const errs: Errs = [];
  containers.forEach((container, ci) => {
    objectsAt(container.ports).forEach((port, pi) => {
      const hostPort = numberAt(port.hostPort) ?? 0;
      const containerPort = numberAt(port.containerPort) ?? 0;
      // Templates may leave hostPort unset; the Pod created from them gets it defaulted.
      if ((isPod || hostPort !== 0) && hostPort !== containerPort) {
        errs.push(
          fieldError.invalid(
            child(index(child(index(child(field, 'containers'), ci), 'ports'), pi), 'hostPort'),
            hostPort,
            'must match `containerPort` when `hostNetwork` is true',
          ),
        );
      }
    });
  });
  return errs;
}

function validateDNSConfig(spec: JsonObject, field: string): Errs {
  const config = objectAt(spec.dnsConfig);
  if (stringAt(spec.dnsPolicy) === 'None' && !config) {
    return [
      fieldError.required(child(field, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'),
    ];
  }
  if (!config) return [];
  const errs: Errs = [];
  const nameservers = stringsAt(config.nameservers);
  if (nameservers.length > 3) {
    errs.push(
      fieldError.invalid(
        child(field, 'dnsConfig', 'nameservers'),
        goLiteral(goStringSlice(nameservers)),
        'must not have more than 3 nameservers',
      ),
    );
  }
  nameservers.forEach((ns, i) => {
    if (!ipFamilyOf(ns)) {
      errs.push(fieldError.invalid(index(child(field, 'dnsConfig', 'nameservers'), i), ns, IP_ERROR));
    }
  });
  return errs;
}

export interface PodSpecOptions {
  /** Pods (not templates) must spell out hostPort under hostNetwork. */
  isPod: boolean;
}

export function validatePodSpec(specValue: unknown, field: string, options: PodSpecOptions): Errs {
  const spec = objectAt(specValue) ?? {};
  const errs: Errs = [];
  const gracePeriod = numberAt(spec.terminationGracePeriodSeconds) ?? 30;
  const { names: volumes, errs: volumeErrs } = validateVolumes(spec.volumes, child(field, 'volumes'));
  errs.push(...volumeErrs);
  const containers = objectsAt(spec.containers);
  const initContainers = objectsAt(spec.initContainers);
  errs.push(...validateContainers(containers, volumes, child(field, 'containers'), gracePeriod));
  errs.push(
    ...validateInitContainers(
      initContainers,
      containers,
      volumes,
      child(field, 'initContainers'),
      gracePeriod,
    ),
  );
  errs.push(...validateHostNetworkPorts(spec, containers, field, options.isPod));
  errs.push(...validateEnumField(spec.restartPolicy, child(field, 'restartPolicy'), RESTART_POLICIES));
  errs.push(...validateEnumField(spec.dnsPolicy, child(field, 'dnsPolicy'), DNS_POLICIES));
  errs.push(...validateLabels(stringMapAt(spec.nodeSelector), child(field, 'nodeSelector')));
  errs.push(...validateDNSConfig(spec, field));

  const subdomainFields: [string, string][] = [
    ['serviceAccountName', stringAt(spec.serviceAccountName)],
    ['nodeName', stringAt(spec.nodeName)],
  ];
  for (const [name, value] of subdomainFields) {
    if (value) errs.push(...invalidFor(child(field, name), value, isDNS1123Subdomain(value)));
  }
  const activeDeadline = numberAt(spec.activeDeadlineSeconds);
  if (activeDeadline !== undefined && (activeDeadline < 1 || activeDeadline > MAX_INT32)) {
    errs.push(
      fieldError.invalid(
        child(field, 'activeDeadlineSeconds'),
        activeDeadline,
        inclusiveRangeError(1, MAX_INT32),
      ),
    );
  }
  for (const name of ['hostname', 'subdomain']) {
    const value = stringAt(spec[name]);
    if (value) errs.push(...invalidFor(child(field, name), value, isDNS1123Label(value)));
  }
  errs.push(...validateTolerations(spec.tolerations, child(field, 'tolerations')));
  const priorityClassName = stringAt(spec.priorityClassName);
  if (priorityClassName) {
    errs.push(
      ...invalidFor(
        child(field, 'priorityClassName'),
        priorityClassName,
        isDNS1123Subdomain(priorityClassName),
      ),
    );
  }
  if (isPresent(spec.preemptionPolicy)) {
    const policy = stringAt(spec.preemptionPolicy);
    if (!PREEMPTION_POLICIES.includes(policy)) {
      errs.push(fieldError.notSupported(child(field, 'preemptionPolicy'), policy, PREEMPTION_POLICIES));
    }
  }
  return errs;
}

/** A PodTemplateSpec: its metadata is checked at `<path>.labels`, not `<path>.metadata.labels`, as upstream does. */
export function validatePodTemplate(templateValue: unknown, field: string): Errs {
  const template = objectAt(templateValue) ?? {};
  const metadata = objectAt(template.metadata) ?? {};
  const errs: Errs = [];
  errs.push(...validateLabels(stringMapAt(metadata.labels), child(field, 'labels')));
  errs.push(...validateAnnotations(stringMapAt(metadata.annotations), child(field, 'annotations')));
  errs.push(...validatePodSpec(template.spec, child(field, 'spec'), { isPod: false }));
  if (arrayAt(objectAt(template.spec)?.ephemeralContainers).length > 0) {
    errs.push(
      fieldError.forbidden(
        child(field, 'spec', 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}

export function validatePodCreate(pod: JsonObject): Errs {
  const spec = objectAt(pod.spec) ?? {};
  const errs = validatePodSpec(spec, 'spec', { isPod: true });
  if (arrayAt(spec.ephemeralContainers).length > 0) {
    errs.push(fieldError.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  }
  if (stringAt(spec.nodeName) && arrayAt(spec.schedulingGates).length > 0) {
    errs.push(
      fieldError.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'),
    );
  }
  for (const [i, ip] of stringsAt(objectsAt(objectAt(pod.status)?.podIPs).map((p) => p.ip)).entries()) {
    if (!ipFamilyOf(ip)) errs.push(fieldError.invalid(index('status.podIPs', i), ip, IP_ERROR));
  }
  return errs;
}
