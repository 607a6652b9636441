/**
 * Label selectors with the semantics of k8s.io/apimachinery/pkg/labels.
 *
 * Contract:
 * - `parseLabelSelector` reads the query-string syntax (`a=b,c!=d,e in (f,g),h notin (i),j,!k`, also
 *   `x>1` / `x<1`) with upstream's lexer rules, validation and error texts, throwing
 *   `LabelSelectorParseError`. Requirements are ordered by key and set values sorted and deduplicated,
 *   so `toString()` is canonical (`app=web,tier in (a,b)`) and matches what upstream prints.
 * - `labelSelectorFromSpec` converts a metav1.LabelSelector: `null`/`undefined` selects nothing, `{}`
 *   (no matchLabels and no matchExpressions) selects everything.
 * - `labelSelectorFromSet` turns a plain label map (Service and ReplicationController selectors) into an
 *   equality selector without validating it; an empty map selects everything.
 * Errors are plain `LabelSelectorParseError`s so this module stays free of API-server concerns; the API
 * server maps them to 400 Bad Request.
 */

/** The operator strings of k8s.io/apimachinery/pkg/selection. */
export type LabelSelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values: readonly string[];
}

export type LabelSelectorSpecOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorSpecRequirement {
  key: string;
  // Any string is accepted because specs arrive as JSON; unknown operators are rejected at conversion.
  operator: LabelSelectorSpecOperator | (string & Record<never, never>);
  values?: string[] | null;
}

/** metav1.LabelSelector as it appears in Deployment, ReplicaSet, DaemonSet and affinity terms. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorSpecRequirement[] | null;
}

export class LabelSelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorParseError';
  }
}

export class LabelSelector {
  private static readonly EVERYTHING = new LabelSelector(Object.freeze([]), false);
  private static readonly NOTHING = new LabelSelector(Object.freeze([]), true);

  private constructor(
    readonly requirements: readonly LabelRequirement[],
    private readonly selectsNothing: boolean,
  ) {}

  static everything(): LabelSelector {
    return LabelSelector.EVERYTHING;
  }

  static nothing(): LabelSelector {
    return LabelSelector.NOTHING;
  }

  /**
   * Builds a selector from requirements that are already valid (no checks here, like upstream's
   * Selector.Add). Orders them by key, stably, so the string form is deterministic.
   */
  static fromRequirements(requirements: readonly LabelRequirement[]): LabelSelector {
    const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return new LabelSelector(Object.freeze(sorted), false);
  }

  matches(labels: Readonly<Record<string, string>> | undefined | null): boolean {
    if (this.selectsNothing) return false;
    const set = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, set));
  }

  /** True when the selector does not restrict anything. The "nothing" selector is not empty. */
  isEmpty(): boolean {
    return !this.selectsNothing && this.requirements.length === 0;
  }

  matchesNothing(): boolean {
    return this.selectsNothing;
  }

  /**
   * The single value the selector pins `key` to (`key=v`, `key==v` or `key in (v)`), so storage can
   * narrow a lookup. Like upstream, only the first requirement on that key is considered.
   */
  requiredValue(key: string): string | undefined {
    const requirement = this.requirements.find((r) => r.key === key);
    if (!requirement) return undefined;
    const pins =
      requirement.operator === '=' || requirement.operator === '==' || requirement.operator === 'in';
    return pins && requirement.values.length === 1 ? requirement.values[0] : undefined;
  }

  toString(): string {
    return this.requirements.map(requirementToString).join(',');
  }
}

// ---------------------------------------------------------------------------------------------------
// Matching and printing

function hasOwn(labels: Readonly<Record<string, string>>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64): optional sign, decimal digits, within int64. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const present = hasOwn(labels, r.key);
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return present && r.values.includes(labels[r.key]);
    case '!=':
    case 'notin':
      return !present || !r.values.includes(labels[r.key]);
    case 'exists':
      return present;
    case '!':
      return !present;
    case 'gt':
    case 'lt': {
      if (!present || r.values.length !== 1) return false;
      const actual = parseInt64(labels[r.key]);
      const bound = parseInt64(r.values[0]);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

const OPERATOR_TEXT: Record<LabelSelectorOperator, string> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  gt: '>',
  lt: '<',
  exists: '',
  '!': '',
};

function requirementToString(r: LabelRequirement): string {
  if (r.operator === 'exists') return r.key;
  if (r.operator === '!') return `!${r.key}`;
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  const setBased = r.operator === 'in' || r.operator === 'notin';
  return `${r.key}${OPERATOR_TEXT[r.operator]}${setBased ? `(${values})` : values}`;
}

// ---------------------------------------------------------------------------------------------------
// Validation, with the messages of k8s.io/apimachinery/pkg/util/validation and field.Error

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

const MAX_NAME_LENGTH = 63;
const MAX_VALUE_LENGTH = 63;
const MAX_SUBDOMAIN_LENGTH = 253;

// Upstream measures lengths in bytes.
const utf8 = new TextEncoder();
function byteLength(text: string): number {
  return utf8.encode(text).length;
}

function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** validation.RegexError, including its double spaces between examples. */
function regexError(message: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${fmt}')`;
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > MAX_SUBDOMAIN_LENGTH) errors.push(maxLenError(MAX_SUBDOMAIN_LENGTH));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errors.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errors;
}

/** validation.IsQualifiedName: `[prefix/]name`, the rule for label keys. */
function labelKeyErrors(key: string): string[] {
  const errors: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errors.push('prefix part must be non-empty');
    else errors.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errors.push('name part must be non-empty');
  else if (byteLength(name) > MAX_NAME_LENGTH) errors.push(`name part ${maxLenError(MAX_NAME_LENGTH)}`);
  if (!QUALIFIED_NAME_RE.test(name)) {
    errors.push(
      `name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errors;
}

function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > MAX_VALUE_LENGTH) errors.push(maxLenError(MAX_VALUE_LENGTH));
  if (!LABEL_VALUE_RE.test(value)) {
    errors.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}

/** Go's %q for the strings that can reach an error message. */
function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** How field.Error prints a bad value: `%q` for strings, `%#v` for string slices. */
function formatBadValue(value: string | readonly string[] | null): string {
  if (typeof value === 'string') return goQuote(value);
  if (value === null) return '[]string(nil)';
  return `[]string{${value.map(goQuote).join(', ')}}`;
}

function invalidValue(path: string, value: string | readonly string[] | null, detail: string): string {
  return `${path}: Invalid value: ${formatBadValue(value)}: ${detail}`;
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several deduplicated inside brackets. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/**
 * labels.NewRequirement. `values` is `null` where upstream would pass a nil slice, which only changes
 * how an empty value list is printed in an error.
 */
function newRequirement(
  key: string,
  operator: LabelSelectorOperator,
  values: readonly string[] | null,
): LabelRequirement {
  const errors: string[] = [];
  const list = values ?? [];
  const keyErrors = labelKeyErrors(key);
  if (keyErrors.length > 0) errors.push(invalidValue('key', key, keyErrors.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (list.length === 0) {
        errors.push(invalidValue('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (list.length !== 1) {
        errors.push(invalidValue('values', values, 'exact-match compatibility requires one single value'));
      }
      break;
    case 'exists':
    case '!':
      if (list.length !== 0) {
        errors.push(invalidValue('values', values, 'values set must be empty for exists and does not exist'));
      }
      break;
    case 'gt':
    case 'lt':
      if (list.length !== 1) {
        errors.push(
          invalidValue('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"),
        );
      }
      list.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errors.push(
            invalidValue(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"),
          );
        }
      });
      break;
  }
  list.forEach((v, i) => {
    const valueErrors = labelValueErrors(v);
    if (valueErrors.length > 0) errors.push(invalidValue(`values[${i}][${key}]`, v, valueErrors.join('; ')));
  });
  if (errors.length > 0) throw new LabelSelectorParseError(aggregate(errors));
  return Object.freeze({ key, operator, values: Object.freeze([...list]) });
}

// ---------------------------------------------------------------------------------------------------
// Lexer and parser, a port of upstream's so that edge cases (`x in ()`, `in=notin`, `a,,b`) and the
// error texts come out the same.

type TokenKind =
  'error' | 'end' | 'identifier' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';

interface ScannedItem {
  token: TokenKind;
  literal: string;
}

const LITERAL_TOKENS = new Map<string, TokenKind>([
  [')', ')'],
  [',', ','],
  ['!', '!'],
  ['==', '=='],
  ['=', '='],
  ['>', '>'],
  ['in', 'in'],
  ['<', '<'],
  ['!=', '!='],
  ['notin', 'notin'],
  ['(', '('],
]);

const END = '\0';

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

const SPECIAL_SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);

function isSpecialSymbol(ch: string): boolean {
  return SPECIAL_SYMBOLS.has(ch);
}

function scan(text: string): ScannedItem[] {
  let pos = 0;
  // Like upstream, a NUL byte ends the input.
  const read = (): string => (pos < text.length ? text[pos++] : END);
  const unread = (): void => {
    pos--;
  };

  const scanIdentifierOrKeyword = (): ScannedItem => {
    let buffer = '';
    for (;;) {
      const ch = read();
      if (ch === END) break;
      if (isSpecialSymbol(ch) || isWhitespace(ch)) {
        unread();
        break;
      }
      buffer += ch;
    }
    return { token: LITERAL_TOKENS.get(buffer) ?? 'identifier', literal: buffer };
  };

  // Longest run of special symbols that still forms a token: `!=` rather than `!` then `=`.
  const scanSpecialSymbol = (): ScannedItem => {
    let last: ScannedItem | undefined;
    let buffer = '';
    for (;;) {
      const ch = read();
      if (ch === END) break;
      if (!isSpecialSymbol(ch)) {
        unread();
        break;
      }
      buffer += ch;
      const token = LITERAL_TOKENS.get(buffer);
      if (token) {
        last = { token, literal: buffer };
      } else if (last) {
        unread();
        break;
      }
    }
    return last ?? { token: 'error', literal: `error expected: keyword found '${buffer}'` };
  };

  const items: ScannedItem[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    let item: ScannedItem;
    if (ch === END) {
      item = { token: 'end', literal: '' };
    } else {
      unread();
      item = isSpecialSymbol(ch) ? scanSpecialSymbol() : scanIdentifierOrKeyword();
    }
    items.push(item);
    if (item.token === 'end') return items;
  }
}

/** In value position `in` and `notin` are ordinary words (`x in (in)`); elsewhere they are operators. */
type ParserContext = 'keyAndOperator' | 'values';

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private position = 0;

  constructor(private readonly items: ScannedItem[]) {}

  private lookahead(context: ParserContext): ScannedItem {
    return this.contextual(this.items[this.position], context);
  }

  private consume(context: ParserContext): ScannedItem {
    return this.contextual(this.items[this.position++], context);
  }

  private contextual(item: ScannedItem, context: ParserContext): ScannedItem {
    if (context === 'values' && (item.token === 'in' || item.token === 'notin')) {
      return { token: 'identifier', literal: item.literal };
    }
    return item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const next = this.lookahead('values');
      if (next.token === 'end') return requirements;
      if (next.token !== 'identifier' && next.token !== '!') {
        throw new LabelSelectorParseError(
          `found '${next.literal}', expected: !, identifier, or 'end of string'`,
        );
      }
      try {
        requirements.push(this.parseRequirement());
      } catch (error) {
        if (error instanceof LabelSelectorParseError) {
          throw new LabelSelectorParseError(`unable to parse requirement: ${error.message}`);
        }
        throw error;
      }
      const separator = this.consume('values');
      if (separator.token === 'end') return requirements;
      if (separator.token !== ',') {
        throw new LabelSelectorParseError(`found '${separator.literal}', expected: ',' or 'end of string'`);
      }
      const following = this.lookahead('values');
      if (following.token !== 'identifier' && following.token !== '!') {
        throw new LabelSelectorParseError(`found '${following.literal}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const { key, operator: inferred } = this.parseKeyAndInferOperator();
    if (inferred) return newRequirement(key, inferred, []);
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, [...values].sort());
  }

  private parseKeyAndInferOperator(): { key: string; operator?: LabelSelectorOperator } {
    let operator: LabelSelectorOperator | undefined;
    let item = this.consume('values');
    if (item.token === '!') {
      operator = '!';
      item = this.consume('values');
    }
    if (item.token !== 'identifier') {
      throw new LabelSelectorParseError(`found '${item.literal}', expected: identifier`);
    }
    const keyErrors = labelKeyErrors(item.literal);
    if (keyErrors.length > 0) {
      // Upstream validates here with a nil field path, which prints as "<nil>".
      throw new LabelSelectorParseError(invalidValue('<nil>', item.literal, keyErrors.join('; ')));
    }
    const after = this.lookahead('values').token;
    if ((after === 'end' || after === ',') && operator !== '!') operator = 'exists';
    return { key: item.literal, operator };
  }

  private parseOperator(): LabelSelectorOperator {
    const item = this.consume('keyAndOperator');
    switch (item.token) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new LabelSelectorParseError(`found '${item.literal}', expected: ${BINARY_OPERATORS}`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume('values');
    if (open.token !== '(') throw new LabelSelectorParseError(`found '${open.literal}' expected: '('`);
    const first = this.lookahead('values');
    switch (first.token) {
      case 'identifier':
      case ',': {
        const values = this.parseIdentifiersList();
        if (this.consume('values').token !== ')') {
          throw new LabelSelectorParseError(`found '${first.literal}', expected: ')'`);
        }
        return values;
      }
      case ')':
        this.consume('values');
        return new Set(['']);
      default:
        throw new LabelSelectorParseError(`found '${first.literal}', expected: ',', ')' or identifier`);
    }
  }

  /** A comma-separated list where empty entries stand for the empty value: `(,a)`, `(a,,b)`, `(a,)`. */
  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const item = this.consume('values');
      if (item.token === 'identifier') {
        values.add(item.literal);
        const next = this.lookahead('values');
        if (next.token === ',') continue;
        if (next.token === ')') return values;
        throw new LabelSelectorParseError(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (item.token === ',') {
        if (values.size === 0) values.add('');
        const next = this.lookahead('values').token;
        if (next === ')') {
          values.add('');
          return values;
        }
        if (next === ',') {
          this.consume('values');
          values.add('');
        }
        continue;
      }
      throw new LabelSelectorParseError(`found '${item.literal}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead('values').token;
    if (next === 'end' || next === ',') return new Set(['']);
    const item = this.consume('values');
    if (item.token === 'identifier') return new Set([item.literal]);
    throw new LabelSelectorParseError(`found '${item.literal}', expected: identifier`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Entry points

/** Parses the `labelSelector` query syntax; the empty string selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  return LabelSelector.fromRequirements(new Parser(scan(text)).parse());
}

const SPEC_OPERATORS: Record<LabelSelectorSpecOperator, LabelSelectorOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * metav1.LabelSelectorAsSelector: a missing selector matches nothing (a controller with no selector
 * must not adopt every pod), an empty one matches everything.
 */
export function labelSelectorFromSpec(spec: LabelSelectorSpec | null | undefined): LabelSelector {
  if (spec === null || spec === undefined) return LabelSelector.nothing();
  const matchLabels = spec.matchLabels ?? {};
  const matchExpressions = spec.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + matchExpressions.length === 0) return LabelSelector.everything();
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(matchLabels)) {
    requirements.push(newRequirement(key, '=', [value]));
  }
  for (const expression of matchExpressions) {
    const operator = Object.prototype.hasOwnProperty.call(SPEC_OPERATORS, expression.operator)
      ? SPEC_OPERATORS[expression.operator as LabelSelectorSpecOperator]
      : undefined;
    if (!operator) {
      throw new LabelSelectorParseError(
        `${goQuote(String(expression.operator))} is not a valid label selector operator`,
      );
    }
    const values = expression.values && expression.values.length > 0 ? expression.values : null;
    requirements.push(newRequirement(expression.key, operator, values));
  }
  return LabelSelector.fromRequirements(requirements);
}

/** labels.SelectorFromSet: equality on every entry, unvalidated; an empty or missing map selects everything. */
export function labelSelectorFromSet(
  labels: Readonly<Record<string, string>> | null | undefined,
): LabelSelector {
  const entries = Object.entries(labels ?? {});
  return LabelSelector.fromRequirements(
    entries.map(([key, value]) =>
      Object.freeze({ key, operator: '=' as const, values: Object.freeze([value]) }),
    ),
  );
}
