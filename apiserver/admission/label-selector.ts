/**
 * `metav1.LabelSelector` as workloads use it: format validation with upstream's messages, matching
 * against a label set (for the selector-vs-template check), and the Go rendering that appears in
 * messages such as `spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable`.
 */
import { child, fieldError, index, type FieldCause, invalidFor } from './field-error.js';
import { goQuote, goStringMap, goStringSlice, goStruct } from './go-format.js';
import { arrayAt, objectAt, objectsAt, stringAt, stringMapAt, stringsAt } from './json-shape.js';
import { isLabelValue, isQualifiedName } from './name-rules.js';

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldCause[] {
  const errs: FieldCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...invalidFor(field, k, isQualifiedName(k)));
    errs.push(...invalidFor(field, v, isLabelValue(v)));
  }
  return errs;
}

export function validateLabelSelector(selector: unknown, field: string): FieldCause[] {
  const sel = objectAt(selector);
  if (!sel) return [];
  const errs = validateLabels(stringMapAt(sel.matchLabels), child(field, 'matchLabels'));
  objectsAt(sel.matchExpressions).forEach((expr, i) => {
    const exprPath = index(child(field, 'matchExpressions'), i);
    const operator = stringAt(expr.operator);
    const values = arrayAt(expr.values);
    switch (operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push(
            fieldError.required(
              child(exprPath, 'values'),
              "must be specified when `operator` is 'In' or 'NotIn'",
            ),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push(
            fieldError.forbidden(
              child(exprPath, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(fieldError.invalid(child(exprPath, 'operator'), operator, 'not a valid selector operator'));
    }
    const exprKey = stringAt(expr.key);
    errs.push(...invalidFor(child(exprPath, 'key'), exprKey, isQualifiedName(exprKey)));
    stringsAt(expr.values).forEach((value, j) => {
      errs.push(...invalidFor(index(child(exprPath, 'values'), j), value, isLabelValue(value)));
    });
  });
  return errs;
}

export function isEmptySelector(selector: unknown): boolean {
  const sel = objectAt(selector) ?? {};
  return Object.keys(objectAt(sel.matchLabels) ?? {}).length + arrayAt(sel.matchExpressions).length === 0;
}

/**
 * Whether the labels satisfy the selector. A missing selector matches nothing and an empty one matches
 * everything, as `metav1.LabelSelectorAsSelector` decides.
 */
export function selectorMatches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const sel = objectAt(selector);
  if (!sel) return false;
  const set = labels ?? {};
  for (const [k, v] of Object.entries(stringMapAt(sel.matchLabels) ?? {})) {
    if (set[k] !== v) return false;
  }
  for (const expr of objectsAt(sel.matchExpressions)) {
    const k = stringAt(expr.key);
    const has = Object.prototype.hasOwnProperty.call(set, k);
    const values = stringsAt(expr.values);
    switch (stringAt(expr.operator)) {
      case 'In':
        if (!has || !values.includes(set[k])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(set[k])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `%#v` of a `metav1.LabelSelector`, as upstream prints it in selector errors. */
export function goLabelSelector(selector: unknown): string {
  const sel = objectAt(selector) ?? {};
  const expressions =
    sel.matchExpressions === undefined || sel.matchExpressions === null
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${objectsAt(sel.matchExpressions)
          .map((expr) =>
            goStruct('v1.LabelSelectorRequirement', [
              ['Key', goQuote(stringAt(expr.key))],
              ['Operator', goQuote(stringAt(expr.operator))],
              ['Values', goStringSlice(expr.values === undefined ? undefined : stringsAt(expr.values))],
            ]),
          )
          .join(', ')}}`;
  return goStruct('v1.LabelSelector', [
    ['MatchLabels', goStringMap(stringMapAt(sel.matchLabels))],
    ['MatchExpressions', expressions],
  ]);
}
