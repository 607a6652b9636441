/**
 * A LabelSelector (`matchLabels` + `matchExpressions`) rendered the way apimachinery's `Selector.String()`
 * does: requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, values sorted.
 */

import { arrayOf, recordOf, stringOf } from './print-helpers.js';

interface Requirement {
  key: string;
  text: string;
}

function expressionRequirement(expr: Record<string, unknown>): Requirement | undefined {
  const key = stringOf(expr.key);
  const values = arrayOf<unknown>(expr.values).map(String);
  switch (expr.operator) {
    case 'In':
    case 'NotIn': {
      if (values.length === 0) return undefined;
      const op = expr.operator === 'In' ? 'in' : 'notin';
      return { key, text: `${key} ${op} (${[...values].sort().join(',')})` };
    }
    case 'Exists':
      return values.length === 0 ? { key, text: key } : undefined;
    case 'DoesNotExist':
      return values.length === 0 ? { key, text: `!${key}` } : undefined;
    default:
      return undefined;
  }
}

/**
 * The selector string, `''` for a missing or empty selector (which selects nothing or everything; both
 * print empty), or undefined when the selector cannot be converted (unknown operator, missing values).
 */
export function labelSelectorString(selector: unknown): string | undefined {
  if (selector === undefined || selector === null) return '';
  const sel = recordOf(selector);
  const requirements: Requirement[] = Object.entries(recordOf(sel.matchLabels)).map(([key, value]) => ({
    key,
    text: `${key}=${String(value)}`,
  }));
  for (const expr of arrayOf(sel.matchExpressions)) {
    const requirement = expressionRequirement(recordOf(expr));
    if (!requirement) return undefined;
    requirements.push(requirement);
  }
  // Stable sort keeps matchLabels ahead of an expression on the same key, as upstream's insertion order does.
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return requirements.map((r) => r.text).join(',');
}

/** `metav1.FormatLabelSelector`: `<none>` for an empty selector, `<error>` for an unconvertible one. */
export function formatLabelSelector(selector: unknown): string {
  const text = labelSelectorString(selector);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}
