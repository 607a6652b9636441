import {
  LabelSelector,
  LabelSelectorParseError,
  labelSelectorFromSet,
  labelSelectorFromSpec,
  parseLabelSelector,
} from './label-selector.js';
import type { LabelSelectorSpec } from './label-selector.js';

const NAME_PART_REGEX_ERROR =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_REGEX_ERROR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector', () => {
  it.each([
    ['', ''],
    ['   ', ''],
    ['x=a', 'x=a'],
    ['x==a', 'x==a'],
    ['x!=a', 'x!=a'],
    [' x = a ', 'x=a'],
    ['x\tin\n(a)', 'x in (a)'],
    ['x in (b,a)', 'x in (a,b)'],
    ['x in ( b , a )', 'x in (a,b)'],
    ['x in (a,a)', 'x in (a)'],
    ['x notin (a)', 'x notin (a)'],
    ['x', 'x'],
    ['!x', '!x'],
    [' ! x ', '!x'],
    ['b=1,a=2', 'a=2,b=1'],
    ['b, a', 'a,b'],
    ['x in ()', 'x in ()'],
    ['x in (a,,b)', 'x in (,a,b)'],
    ['x in (,a)', 'x in (,a)'],
    ['x in (a,)', 'x in (,a)'],
    ['x=', 'x='],
    ['x=,y', 'x=,y'],
    ['in=notin', 'in=notin'],
    ['x in (in,notin)', 'x in (in,notin)'],
    ['x>1', 'x>1'],
    ['x<10', 'x<10'],
    ['example.com/app=web', 'example.com/app=web'],
    ['app.kubernetes.io/name=web,tier!=db', 'app.kubernetes.io/name=web,tier!=db'],
    [
      'environment in (production, qa),tier notin (frontend, backend),partition',
      'environment in (production,qa),partition,tier notin (backend,frontend)',
    ],
  ])('parses %j', (text, canonical) => {
    const selector = parseLabelSelector(text);
    expect(selector.toString()).toBe(canonical);
    // The canonical form is a fixed point of parsing.
    expect(parseLabelSelector(canonical).toString()).toBe(canonical);
  });

  it('exposes requirements ordered by key with sorted, deduplicated values', () => {
    expect(parseLabelSelector('z notin (b,a,b),!y,x').requirements).toEqual([
      { key: 'x', operator: 'exists', values: [] },
      { key: 'y', operator: '!', values: [] },
      { key: 'z', operator: 'notin', values: ['a', 'b'] },
    ]);
  });

  it.each([
    ['x=a b', "found 'b', expected: ',' or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['x in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['x in (a,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['x=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['x=a,!', "unable to parse requirement: found '', expected: identifier"],
    [
      'x>a',
      `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
    [
      'x<',
      `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
    ['app:web', `unable to parse requirement: <nil>: Invalid value: "app:web": ${NAME_PART_REGEX_ERROR}`],
    ['-app=web', `unable to parse requirement: <nil>: Invalid value: "-app": ${NAME_PART_REGEX_ERROR}`],
    [
      'a/b/c ?=? def',
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
    [
      'app.kubernetes_io/name=vault',
      `unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
    ['/a', 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'],
    [
      'a/',
      `unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; ${NAME_PART_REGEX_ERROR}`,
    ],
    [
      `${'k'.repeat(64)}`,
      `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`,
    ],
    ['x=-a', `unable to parse requirement: values[0][x]: Invalid value: "-a": ${LABEL_VALUE_REGEX_ERROR}`],
    [
      `x=${'v'.repeat(64)}`,
      `unable to parse requirement: values[0][x]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
    ],
    [
      'x in (-b,-a)',
      `unable to parse requirement: [values[0][x]: Invalid value: "-a": ${LABEL_VALUE_REGEX_ERROR}, values[1][x]: Invalid value: "-b": ${LABEL_VALUE_REGEX_ERROR}]`,
    ],
    [
      'x="a"',
      `unable to parse requirement: values[0][x]: Invalid value: "\\"a\\"": ${LABEL_VALUE_REGEX_ERROR}`,
    ],
  ])('rejects %j', (text, message) => {
    let caught: unknown;
    try {
      parseLabelSelector(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LabelSelectorParseError);
    expect((caught as Error).message).toBe(message);
  });

  it('accepts a 63-character name with a 253-character prefix', () => {
    const prefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(prefix).toHaveLength(253);
    const key = `${prefix}/${'n'.repeat(63)}`;
    expect(parseLabelSelector(`${key}=${'v'.repeat(63)}`).requirements[0].key).toBe(key);
  });
});

describe('LabelSelector.matches', () => {
  const web = { app: 'web', tier: 'frontend', version: '3' };
  it.each<[string, Record<string, string> | undefined, boolean]>([
    ['', web, true],
    ['', undefined, true],
    ['app=web', web, true],
    ['app==web', web, true],
    ['app=db', web, false],
    ['app=web', undefined, false],
    ['app!=db', web, true],
    ['app!=web', web, false],
    ['missing!=x', web, true],
    ['app in (web,db)', web, true],
    ['app in (db,cache)', web, false],
    ['missing in (a)', web, false],
    ['app notin (db)', web, true],
    ['app notin (web)', web, false],
    ['missing notin (a)', web, true],
    ['app', web, true],
    ['missing', web, false],
    ['!missing', web, true],
    ['!app', web, false],
    ['app=web,tier=frontend', web, true],
    ['app=web,tier=backend', web, false],
    ['app=web,!tier', web, false],
    ['x=', { x: '' }, true],
    ['x=', {}, false],
    ['x in ()', { x: '' }, true],
    ['x in ()', { x: 'a' }, false],
    ['version>2', web, true],
    ['version>3', web, false],
    ['version<4', web, true],
    ['version<3', web, false],
    ['app>1', web, false],
    ['missing>1', web, false],
    ['version>0', web, true],
  ])('%j against %j is %s', (text, labels, expected) => {
    expect(parseLabelSelector(text).matches(labels)).toBe(expected);
  });

  it('does not treat inherited object properties as labels', () => {
    expect(parseLabelSelector('constructor').matches({})).toBe(false);
    expect(parseLabelSelector('!toString').matches({})).toBe(true);
  });
});

describe('LabelSelector.requiredValue', () => {
  it.each<[string, string, string | undefined]>([
    ['app=web', 'app', 'web'],
    ['app==web', 'app', 'web'],
    ['app in (web)', 'app', 'web'],
    ['app in (web,db)', 'app', undefined],
    ['app!=web', 'app', undefined],
    ['app', 'app', undefined],
    ['tier=a', 'app', undefined],
    ['app=,tier=a', 'app', ''],
  ])('%j pins %s to %j', (text, key, expected) => {
    expect(parseLabelSelector(text).requiredValue(key)).toBe(expected);
  });
});

describe('labelSelectorFromSpec', () => {
  it('selects nothing for a missing selector and everything for an empty one', () => {
    for (const missing of [null, undefined]) {
      const selector = labelSelectorFromSpec(missing);
      expect(selector.matches({ app: 'web' })).toBe(false);
      expect(selector.matches({})).toBe(false);
      expect(selector.isEmpty()).toBe(false);
      expect(selector.matchesNothing()).toBe(true);
      expect(selector.toString()).toBe('');
    }
    for (const empty of [{}, { matchLabels: {} }, { matchLabels: null, matchExpressions: [] }]) {
      const selector = labelSelectorFromSpec(empty);
      expect(selector.matches({ app: 'web' })).toBe(true);
      expect(selector.matches(undefined)).toBe(true);
      expect(selector.isEmpty()).toBe(true);
      expect(selector.matchesNothing()).toBe(false);
    }
  });

  it.each<[LabelSelectorSpec, string]>([
    [{ matchLabels: { app: 'web' } }, 'app=web'],
    [{ matchLabels: { tier: 'fe', app: 'web' } }, 'app=web,tier=fe'],
    [{ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, 'app in (api,web)'],
    [{ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] }, 'app notin (db)'],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, 'app'],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist', values: [] }] }, '!app'],
    [
      {
        matchLabels: { tier: 'fe' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      '!canary,env in (prod),tier=fe',
    ],
  ])('converts %j to %s', (spec, canonical) => {
    expect(labelSelectorFromSpec(spec).toString()).toBe(canonical);
  });

  it('applies every requirement when matching', () => {
    const selector = labelSelectorFromSpec({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(selector.matches({ app: 'web', env: 'prod' })).toBe(true);
    expect(selector.matches({ app: 'web' })).toBe(true);
    expect(selector.matches({ app: 'web', env: 'dev' })).toBe(false);
    expect(selector.matches({ app: 'web', canary: 'true' })).toBe(false);
    expect(selector.matches({ app: 'api' })).toBe(false);
  });

  it.each<[LabelSelectorSpec, string]>([
    [
      { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
      '"Equals" is not a valid label selector operator',
    ],
    [
      { matchExpressions: [{ key: 'app', operator: 'In' }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['a', 'b'] }] },
      'values: Invalid value: []string{"a", "b"}: values set must be empty for exists and does not exist',
    ],
    [{ matchLabels: { 'bad key': 'x' } }, `key: Invalid value: "bad key": ${NAME_PART_REGEX_ERROR}`],
    [{ matchLabels: { app: '-x' } }, `values[0][app]: Invalid value: "-x": ${LABEL_VALUE_REGEX_ERROR}`],
  ])('rejects %j', (spec, message) => {
    expect(() => labelSelectorFromSpec(spec)).toThrow(new LabelSelectorParseError(message));
    expect(() => labelSelectorFromSpec(spec)).toThrow(LabelSelectorParseError);
  });
});

describe('labelSelectorFromSet', () => {
  it('matches on every entry and prints in key order', () => {
    const selector = labelSelectorFromSet({ tier: 'fe', app: 'web' });
    expect(selector.toString()).toBe('app=web,tier=fe');
    expect(selector.matches({ app: 'web', tier: 'fe', extra: 'x' })).toBe(true);
    expect(selector.matches({ app: 'web' })).toBe(false);
  });

  it('selects everything for an empty or missing set', () => {
    expect(labelSelectorFromSet({}).isEmpty()).toBe(true);
    expect(labelSelectorFromSet(undefined).matches({ a: 'b' })).toBe(true);
  });
});

describe('LabelSelector.everything and nothing', () => {
  it('are distinct', () => {
    expect(LabelSelector.everything().matches({})).toBe(true);
    expect(LabelSelector.nothing().matches({})).toBe(false);
    expect(LabelSelector.everything().isEmpty()).toBe(true);
    expect(LabelSelector.nothing().isEmpty()).toBe(false);
  });
});
