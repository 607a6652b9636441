/**
 * A LabelSelector (`matchLabels` + `matchExpressions`) as the printers show it: apimachinery's
 * `Selector.String()` (`app=web,tier in (a,b)`), with the two fallbacks upstream printers use.
 */

import type { LabelSelectorSpec } from '../../machinery/label-selector.js';
import { labelSelectorFromSpec } from '../../machinery/label-selector.js';
import { isPlainObject } from '../api-object.js';

/**
 * The selector string, `''` for a missing or empty selector (which select nothing and everything, and
 * both print empty), or undefined when the selector does not convert (unknown operator, bad values).
 */
export function labelSelectorString(selector: unknown): string | undefined {
  if (selector === undefined || selector === null) return '';
  if (!isPlainObject(selector)) return undefined;
  try {
    return labelSelectorFromSpec(selector as LabelSelectorSpec).toString();
  } catch {
    return undefined;
  }
}

/** `metav1.FormatLabelSelector`: `<none>` for an empty selector, `<error>` for an unconvertible one. */
export function formatLabelSelector(selector: unknown): string {
  const text = labelSelectorString(selector);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}
