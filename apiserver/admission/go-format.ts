/**
 * Renders JSON values the way Go's fmt prints the equivalent typed values, because upstream puts
 * `%q` / `%#v` output into validation messages (`map[string]string{"app":"web"}`,
 * `v1.LabelSelector{MatchLabels:..., MatchExpressions:...}`) and users compare them with what a real
 * cluster says.
 */

/** Go's `%q` for the strings that occur in API objects. */
export function goQuote(value: string): string {
  const json = JSON.stringify(value);
  // Most names have no control characters: skip the regex (this runs for every authorized request).
  return json.includes('\\u00')
    ? json.replace(/\\u00([0-7][0-9a-f])/g, (_, hex: string) => `\\x${hex}`)
    : json;
}

/** `%#v` of a `map[string]string`; Go sorts keys, and an absent map is a nil one. */
export function goStringMap(map: Record<string, string> | undefined): string {
  if (map === undefined) return 'map[string]string(nil)';
  const entries = Object.keys(map)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(map[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** `%#v` of a `[]string`. */
export function goStringSlice(values: readonly string[] | undefined): string {
  if (values === undefined) return '[]string(nil)';
  return `[]string{${values.map(goQuote).join(', ')}}`;
}

/** `%#v` of a struct whose fields are already rendered, in declaration order. */
export function goStruct(typeName: string, fields: [string, string][]): string {
  return `${typeName}{${fields.map(([name, value]) => `${name}:${value}`).join(', ')}}`;
}

/** How Go prints an `intstr.IntOrString` through its `String()` method: bare, never quoted. */
export function goIntOrString(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return '0';
}
