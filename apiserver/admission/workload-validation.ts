/**
 * apps/v1 workload rules (Deployment, ReplicaSet, DaemonSet): selector present, non-empty and matching
 * the template labels, template valid as a pod template with restartPolicy Always, rollout strategy
 * bounds, and on update the apps/v1 rule that `spec.selector` is immutable. Metadata is checked by the
 * caller.
 */
import { child, fieldError, goLiteral, nonNegative, type FieldCause } from './field-error.js';
import { goIntOrString, goStringMap, goStruct, goQuote } from './go-format.js';
import {
  isPresent,
  numberAt,
  objectAt,
  objectsAt,
  stringAt,
  stringMapAt,
  type JsonObject,
} from './json-shape.js';
import {
  goLabelSelector,
  isEmptySelector,
  selectorMatches,
  validateLabelSelector,
} from './label-selector.js';
import { isPercent } from './name-rules.js';
import { validatePodTemplate } from './pod-validation.js';

type Errs = FieldCause[];

/** Whether `metav1.LabelSelectorAsSelector` would accept the selector (operators and their values). */
function isConvertibleSelector(selector: unknown): boolean {
  return objectsAt(objectAt(selector)?.matchExpressions).every((expr) => {
    const values = Array.isArray(expr.values) ? expr.values.length : 0;
    switch (stringAt(expr.operator)) {
      case 'In':
      case 'NotIn':
        return values > 0;
      case 'Exists':
      case 'DoesNotExist':
        return values === 0;
      default:
        return false;
    }
  });
}

function selectorLiteral(selector: unknown) {
  return goLiteral(goLabelSelector(selector));
}

/** Deployments and ReplicaSets share this selector check, message included ("for deployment"). */
function validateRequiredSelector(selector: unknown, field: string): Errs {
  if (!isPresent(selector)) return [fieldError.required(field)];
  const errs = validateLabelSelector(selector, field);
  if (isEmptySelector(selector)) {
    errs.push(
      fieldError.invalid(field, selectorLiteral(selector), 'empty selector is invalid for deployment'),
    );
  }
  return errs;
}

function templateLabels(template: unknown): Record<string, string> | undefined {
  return stringMapAt(objectAt(objectAt(template)?.metadata)?.labels);
}

function selectorMismatch(selector: unknown, template: unknown, field: string): Errs {
  const labels = templateLabels(template);
  return selectorMatches(selector, labels)
    ? []
    : [
        fieldError.invalid(
          child(field, 'metadata', 'labels'),
          goLiteral(goStringMap(labels)),
          '`selector` does not match template `labels`',
        ),
      ];
}

function templateRestartPolicy(template: unknown, field: string): Errs {
  const policy = stringAt(objectAt(objectAt(template)?.spec)?.restartPolicy);
  return policy === 'Always'
    ? []
    : [fieldError.notSupported(child(field, 'spec', 'restartPolicy'), policy, ['Always'])];
}

function validateTemplateForReplicaSet(template: unknown, selector: unknown, field: string): Errs {
  const errs: Errs = [];
  // An empty selector selects everything, so only a missing or non-empty one is compared with the labels.
  if (!isPresent(selector) || !isEmptySelector(selector)) {
    errs.push(...selectorMismatch(selector, template, field));
  }
  errs.push(...validatePodTemplate(template, field));
  errs.push(...templateRestartPolicy(template, field));
  if (isPresent(objectAt(objectAt(template)?.spec)?.activeDeadlineSeconds)) {
    errs.push(
      fieldError.forbidden(
        child(field, 'spec', 'activeDeadlineSeconds'),
        'activeDeadlineSeconds in ReplicaSet is not Supported',
      ),
    );
  }
  return errs;
}

function validateSelectorAndTemplate(spec: JsonObject): Errs {
  const errs = validateRequiredSelector(spec.selector, 'spec.selector');
  if (isPresent(spec.selector) && !isConvertibleSelector(spec.selector)) {
    errs.push(fieldError.invalid('spec.selector', selectorLiteral(spec.selector), 'invalid label selector'));
  } else {
    errs.push(...validateTemplateForReplicaSet(spec.template, spec.selector, 'spec.template'));
  }
  return errs;
}

// ---- IntOrString rollout bounds ----

function percentValue(value: unknown): number | undefined {
  return typeof value === 'string' && isPercent(value).length === 0 ? Number(value.slice(0, -1)) : undefined;
}

function intOrPercentValue(value: unknown): number {
  const percent = percentValue(value);
  if (percent !== undefined) return percent;
  if (typeof value === 'number') return value;
  return typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : 0;
}

function validatePositiveIntOrPercent(value: unknown, field: string): Errs {
  if (typeof value === 'string') {
    return isPercent(value).map((msg) => fieldError.invalid(field, goLiteral(value), msg));
  }
  if (typeof value === 'number') return nonNegative(value, field);
  return [];
}

function notMoreThan100Percent(value: unknown, field: string): Errs {
  const percent = percentValue(value);
  return percent !== undefined && percent > 100
    ? [fieldError.invalid(field, goLiteral(goIntOrString(value)), 'must not be greater than 100%')]
    : [];
}

function validateDeploymentStrategy(strategyValue: unknown, field: string): Errs {
  const strategy = objectAt(strategyValue) ?? {};
  const type = stringAt(strategy.type);
  const rollingUpdate = objectAt(strategy.rollingUpdate);
  switch (type) {
    case 'Recreate':
      return isPresent(strategy.rollingUpdate)
        ? [
            fieldError.forbidden(
              child(field, 'rollingUpdate'),
              "may not be specified when strategy `type` is 'Recreate'",
            ),
          ]
        : [];
    case 'RollingUpdate': {
      if (!rollingUpdate) {
        return [
          fieldError.required(child(field, 'rollingUpdate'), 'this should be defaulted and never be nil'),
        ];
      }
      const unavailablePath = child(field, 'rollingUpdate', 'maxUnavailable');
      const errs = [
        ...validatePositiveIntOrPercent(rollingUpdate.maxUnavailable, unavailablePath),
        ...validatePositiveIntOrPercent(rollingUpdate.maxSurge, child(field, 'rollingUpdate', 'maxSurge')),
      ];
      if (
        intOrPercentValue(rollingUpdate.maxUnavailable) === 0 &&
        intOrPercentValue(rollingUpdate.maxSurge) === 0
      ) {
        errs.push(
          fieldError.invalid(
            unavailablePath,
            goLiteral(goIntOrString(rollingUpdate.maxUnavailable)),
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
      errs.push(...notMoreThan100Percent(rollingUpdate.maxUnavailable, unavailablePath));
      return errs;
    }
    default: {
      const literal = goStruct('apps.DeploymentStrategy', [
        ['Type', goQuote(type)],
        [
          'RollingUpdate',
          rollingUpdate
            ? '(*apps.RollingUpdateDeployment)(0xc000000000)'
            : '(*apps.RollingUpdateDeployment)(nil)',
        ],
      ]);
      return [fieldError.notSupported(field, goLiteral(literal), ['Recreate', 'RollingUpdate'])];
    }
  }
}

function validateDaemonSetUpdateStrategy(strategyValue: unknown, field: string): Errs {
  const strategy = objectAt(strategyValue) ?? {};
  const type = stringAt(strategy.type);
  const rollingUpdate = objectAt(strategy.rollingUpdate);
  switch (type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!rollingUpdate) return [fieldError.required(child(field, 'rollingUpdate'))];
      const unavailablePath = child(field, 'rollingUpdate', 'maxUnavailable');
      const surgePath = child(field, 'rollingUpdate', 'maxSurge');
      const errs = [
        ...validatePositiveIntOrPercent(rollingUpdate.maxUnavailable, unavailablePath),
        ...validatePositiveIntOrPercent(rollingUpdate.maxSurge, surgePath),
        ...notMoreThan100Percent(rollingUpdate.maxUnavailable, unavailablePath),
        ...notMoreThan100Percent(rollingUpdate.maxSurge, surgePath),
      ];
      const hasUnavailable = intOrPercentValue(rollingUpdate.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(rollingUpdate.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(
          fieldError.invalid(
            surgePath,
            goLiteral(goIntOrString(rollingUpdate.maxSurge)),
            'may not be set when maxUnavailable is non-zero',
          ),
        );
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(fieldError.required(unavailablePath, 'cannot be 0 when maxSurge is 0'));
      }
      return errs;
    }
    default: {
      const literal = goStruct('apps.DaemonSetUpdateStrategy', [
        ['Type', goQuote(type)],
        [
          'RollingUpdate',
          rollingUpdate
            ? '(*apps.RollingUpdateDaemonSet)(0xc000000000)'
            : '(*apps.RollingUpdateDaemonSet)(nil)',
        ],
      ]);
      return [fieldError.notSupported(field, goLiteral(literal), ['RollingUpdate', 'OnDelete'])];
    }
  }
}

// ---- kinds ----

function specOf(obj: JsonObject): JsonObject {
  return objectAt(obj.spec) ?? {};
}

export function validateDeploymentSpec(obj: JsonObject): Errs {
  const spec = specOf(obj);
  const errs = nonNegative(numberAt(spec.replicas), 'spec.replicas');
  errs.push(...validateSelectorAndTemplate(spec));
  errs.push(...validateDeploymentStrategy(spec.strategy, 'spec.strategy'));
  const minReadySeconds = numberAt(spec.minReadySeconds) ?? 0;
  errs.push(...nonNegative(minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(numberAt(spec.revisionHistoryLimit), 'spec.revisionHistoryLimit'));
  const deadline = numberAt(spec.progressDeadlineSeconds);
  if (deadline !== undefined) {
    if (deadline <= 0) {
      errs.push(fieldError.invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than 0'));
    }
    if (deadline <= minReadySeconds) {
      errs.push(
        fieldError.invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'),
      );
    }
  }
  return errs;
}

export function validateReplicaSetSpec(obj: JsonObject): Errs {
  const spec = specOf(obj);
  const errs = [
    ...nonNegative(numberAt(spec.replicas), 'spec.replicas'),
    ...nonNegative(numberAt(spec.minReadySeconds), 'spec.minReadySeconds'),
  ];
  errs.push(...validateSelectorAndTemplate(spec));
  return errs;
}

export function validateDaemonSetSpec(obj: JsonObject): Errs {
  const spec = specOf(obj);
  const errs = validateLabelSelector(spec.selector, 'spec.selector');
  if (isConvertibleSelector(spec.selector)) {
    errs.push(...selectorMismatch(spec.selector, spec.template, 'spec.template'));
  }
  if (isPresent(spec.selector) && isEmptySelector(spec.selector)) {
    errs.push(
      fieldError.invalid(
        'spec.selector',
        selectorLiteral(spec.selector),
        'empty selector is invalid for daemonset',
      ),
    );
  }
  errs.push(...validatePodTemplate(spec.template, 'spec.template'));
  errs.push(...templateRestartPolicy(spec.template, 'spec.template'));
  if (isPresent(objectAt(objectAt(spec.template)?.spec)?.activeDeadlineSeconds)) {
    errs.push(
      fieldError.forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  }
  errs.push(...nonNegative(numberAt(spec.minReadySeconds), 'spec.minReadySeconds'));
  errs.push(...nonNegative(numberAt(spec.templateGeneration), 'spec.templateGeneration'));
  errs.push(...validateDaemonSetUpdateStrategy(spec.updateStrategy, 'spec.updateStrategy'));
  errs.push(...nonNegative(numberAt(spec.revisionHistoryLimit), 'spec.revisionHistoryLimit'));
  return errs;
}

function canonicalSelector(selector: unknown): string {
  const sel = objectAt(selector);
  if (!sel) return 'nil';
  const labels = stringMapAt(sel.matchLabels) ?? {};
  return JSON.stringify({
    matchLabels: Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
    matchExpressions: objectsAt(sel.matchExpressions).map((e) => [e.key, e.operator, e.values ?? []]),
  });
}

/** apps/v1 forbids changing a workload's selector; Pods already owned would silently be orphaned otherwise. */
export function validateSelectorImmutable(obj: JsonObject, old: JsonObject): Errs {
  const selector = specOf(obj).selector;
  return canonicalSelector(selector) === canonicalSelector(specOf(old).selector)
    ? []
    : [fieldError.invalid('spec.selector', selectorLiteral(selector), 'field is immutable')];
}
