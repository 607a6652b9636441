/**
 * rfc3339Error: why upstream's decoder refuses a `metav1.Time` text, worded as Go's
 * `time.Parse(time.RFC3339, s)` words it, or undefined when the text is a valid time. The layout is
 * read element by element as Go does, so the message names the first element that did not match
 * (`cannot parse "x" as "2006"`), a value out of range, or text left over.
 */

const LAYOUT = '2006-01-02T15:04:05Z07:00';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function isDigit(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c >= 48 && c <= 57;
}

type Element =
  | { literal: string }
  | { number: string; digits: number; fixed: boolean; max?: number; range?: string }
  | { zone: true };

// Go's reference layout split the way its parser walks it.
const ELEMENTS: Element[] = [
  { number: '2006', digits: 4, fixed: true },
  { literal: '-' },
  { number: '01', digits: 2, fixed: true, max: 12, range: 'month' },
  { literal: '-' },
  { number: '02', digits: 2, fixed: true, max: 31, range: 'day' },
  { literal: 'T' },
  { number: '15', digits: 2, fixed: false, max: 23, range: 'hour' },
  { literal: ':' },
  { number: '04', digits: 2, fixed: true, max: 59, range: 'minute' },
  { literal: ':' },
  { number: '05', digits: 2, fixed: true, max: 59, range: 'second' },
  { zone: true },
];

export function rfc3339Error(text: string): string | undefined {
  const quoted = JSON.stringify(text);
  const cannotParse = (rest: string, element: string) =>
    `parsing time ${quoted} as "${LAYOUT}": cannot parse ${JSON.stringify(rest)} as "${element}"`;
  const outOfRange = (what: string) => `parsing time ${quoted}: ${what} out of range`;
  let rest = text;
  const numbers: Record<string, number> = {};
  for (const element of ELEMENTS) {
    if ('literal' in element) {
      if (!rest.startsWith(element.literal)) return cannotParse(rest, element.literal);
      rest = rest.slice(element.literal.length);
    } else if ('number' in element) {
      let width = 0;
      while (width < element.digits && isDigit(rest, width)) width++;
      // A variable-width field takes one digit where a second is missing; fixed ones need all.
      if (width < element.digits && (element.fixed || width === 0)) return cannotParse(rest, element.number);
      const value = Number(rest.slice(0, width));
      if (element.range && (value > element.max! || (element.range === 'month' && value === 0)))
        return outOfRange(element.range);
      numbers[element.number] = value;
      rest = rest.slice(width);
      // Go takes fractional seconds after the seconds field even where the layout names none.
      if (element.number === '05' && /^[.,][0-9]/.test(rest)) rest = rest.replace(/^[.,][0-9]+/, '');
    } else if (rest.startsWith('Z')) {
      rest = rest.slice(1);
    } else if (/^[+-][0-9]{2}:[0-9]{2}/.test(rest)) {
      rest = rest.slice(6);
    } else {
      return cannotParse(rest, 'Z07:00');
    }
  }
  if (rest) return `parsing time ${quoted}: extra text: ${JSON.stringify(rest)}`;
  const month = numbers['01'];
  const days = month === 2 && isLeap(numbers['2006']) ? 29 : DAYS_IN_MONTH[month - 1];
  if (numbers['02'] === 0 || numbers['02'] > days) return outOfRange('day');
  return undefined;
}
