/**
 * The Pod update rule: a pod's spec is frozen once created, except for container images,
 * activeDeadlineSeconds (set or shortened), added tolerations, removed scheduling gates and one
 * terminationGracePeriodSeconds corner case. Anything else is refused with upstream's message and a
 * compact field diff. The new spec's own validity is checked separately.
 */
import { child, fieldError, index, type FieldCause } from './field-error.js';
import {
  arrayAt,
  numberAt,
  objectAt,
  objectsAt,
  semanticallyEqual,
  stringAt,
  type JsonObject,
} from './json-shape.js';
import { inclusiveRangeError } from './name-rules.js';

type Errs = FieldCause[];

const MAX_INT32 = 2147483647;
export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function goFieldName(jsonName: string): string {
  return jsonName.charAt(0).toUpperCase() + jsonName.slice(1);
}

function renderDiffValue(value: unknown): string {
  return value === undefined || value === null ? 'nil' : JSON.stringify(value);
}

/** A compact take on the cmp.Diff upstream appends: one -/+ pair per changed PodSpec field. */
function specDiff(oldSpec: JsonObject, newSpec: JsonObject): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    if (semanticallyEqual(oldSpec[k], newSpec[k])) continue;
    lines.push(`- \t${goFieldName(k)}: ${renderDiffValue(oldSpec[k])},`);
    lines.push(`+ \t${goFieldName(k)}: ${renderDiffValue(newSpec[k])},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

function containerCountErrors(newSpec: JsonObject, oldSpec: JsonObject): Errs {
  for (const list of ['containers', 'initContainers']) {
    if (arrayAt(newSpec[list]).length !== arrayAt(oldSpec[list]).length) {
      return [fieldError.forbidden(child('spec', list), 'pod updates may not add or remove containers')];
    }
  }
  return [];
}

function validateOnlyAddedTolerations(newValue: unknown, oldValue: unknown, field: string): Errs {
  const added = objectsAt(newValue);
  for (const old of objectsAt(oldValue)) {
    const kept = added.some((t) => semanticallyEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!kept) {
      return [
        fieldError.forbidden(field, 'existing toleration can not be modified except its tolerationSeconds'),
      ];
    }
  }
  return [];
}

function validateActiveDeadlineUpdate(newSpec: JsonObject, oldSpec: JsonObject): Errs {
  const field = 'spec.activeDeadlineSeconds';
  const next = numberAt(newSpec.activeDeadlineSeconds);
  const previous = numberAt(oldSpec.activeDeadlineSeconds);
  if (next !== undefined) {
    if (next < 0 || next > MAX_INT32) {
      return [fieldError.invalid(field, next, inclusiveRangeError(0, MAX_INT32))];
    }
    if (previous !== undefined && previous < next) {
      return [fieldError.invalid(field, next, 'must be less than or equal to previous value')];
    }
  } else if (previous !== undefined) {
    return [fieldError.invalid(field, null, 'must not update from a positive integer to nil value')];
  }
  return [];
}

/** The spec rules of a Pod update; the new spec's own validity is checked separately. */
export function validatePodUpdate(pod: JsonObject, oldPod: JsonObject): Errs {
  const newSpec = objectAt(pod.spec) ?? {};
  const oldSpec = objectAt(oldPod.spec) ?? {};
  const countErrs = containerCountErrors(newSpec, oldSpec);
  if (countErrs.length) return countErrs;
  const errs: Errs = [];
  for (const list of ['containers', 'initContainers']) {
    objectsAt(newSpec[list]).forEach((container, i) => {
      const image = stringAt(container.image);
      if (image && image.trim() !== image) {
        errs.push(
          fieldError.invalid(
            child(index(child('spec', list), i), 'image'),
            image,
            'must not have leading or trailing whitespace',
          ),
        );
      }
    });
  }
  const deadlineErrs = validateActiveDeadlineUpdate(newSpec, oldSpec);
  if (deadlineErrs.length) return [...errs, ...deadlineErrs];
  errs.push(...validateOnlyAddedTolerations(newSpec.tolerations, oldSpec.tolerations, 'spec.tolerations'));

  const munged: JsonObject = { ...newSpec };
  for (const list of ['containers', 'initContainers']) {
    const oldContainers = objectsAt(oldSpec[list]);
    if (Array.isArray(newSpec[list])) {
      munged[list] = objectsAt(newSpec[list]).map((c, i) => ({ ...c, image: oldContainers[i]?.image }));
    }
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  munged.schedulingGates = oldSpec.schedulingGates;
  const oldGrace = numberAt(oldSpec.terminationGracePeriodSeconds);
  if (oldGrace !== undefined && oldGrace < 0 && numberAt(munged.terminationGracePeriodSeconds) === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!semanticallyEqual(munged, oldSpec)) {
    errs.push(fieldError.forbidden('spec', `${POD_UPDATE_FORBIDDEN}\n${specDiff(oldSpec, munged)}`));
  }
  return errs;
}
