import { rfc3339Error } from './rfc3339-error.js';

describe('rfc3339Error', () => {
  it.each([
    ['a UTC time', '2024-01-31T23:59:59Z'],
    ['a numeric offset', '2024-01-31T23:59:59+05:30'],
    ['fractional seconds', '2024-01-31T23:59:59.123456Z'],
    ['a leap day', '2024-02-29T00:00:00Z'],
    ['a one-digit hour, which Go takes', '2024-01-01T1:00:00Z'],
  ])('accepts %s', (_what, text) => {
    expect(rfc3339Error(text)).toBeUndefined();
  });

  const layout = '"2006-01-02T15:04:05Z07:00"';
  it.each([
    [
      'no time at all',
      'not-a-time',
      `parsing time "not-a-time" as ${layout}: cannot parse "not-a-time" as "2006"`,
    ],
    ['an empty text', '', `parsing time "" as ${layout}: cannot parse "" as "2006"`],
    ['a date alone', '2024-01-01', `parsing time "2024-01-01" as ${layout}: cannot parse "" as "T"`],
    [
      'a missing zone',
      '2024-01-01T00:00:00',
      `parsing time "2024-01-01T00:00:00" as ${layout}: cannot parse "" as "Z07:00"`,
    ],
    [
      'a one-digit month',
      '2024-1-01T00:00:00Z',
      `parsing time "2024-1-01T00:00:00Z" as ${layout}: cannot parse "1-01T00:00:00Z" as "01"`,
    ],
    ['month 13', '2024-13-01T00:00:00Z', 'parsing time "2024-13-01T00:00:00Z": month out of range'],
    ['hour 24', '2024-01-01T24:00:00Z', 'parsing time "2024-01-01T24:00:00Z": hour out of range'],
    ['February 30th', '2024-02-30T00:00:00Z', 'parsing time "2024-02-30T00:00:00Z": day out of range'],
    [
      'February 29th outside a leap year',
      '2023-02-29T00:00:00Z',
      'parsing time "2023-02-29T00:00:00Z": day out of range',
    ],
    [
      'text after the zone',
      '2024-01-01T00:00:00Zjunk',
      'parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"',
    ],
  ])('refuses %s', (_what, text, message) => {
    expect(rfc3339Error(text)).toBe(message);
  });
});
