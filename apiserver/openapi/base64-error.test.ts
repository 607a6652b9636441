import { base64Error } from './base64-error.js';

describe('base64Error', () => {
  it.each([
    ['an empty value', ''],
    ['a full quantum', 'aGVs'],
    ['one padding character', 'aGVsbG8='],
    ['two padding characters', 'aGVsbA=='],
    ['line breaks, which Go skips', 'aGVs\r\nbG8='],
  ])('accepts %s', (_what, text) => {
    expect(base64Error(text)).toBeUndefined();
  });

  it.each([
    ['a space', 'not base64 !!', 3],
    ['a URL-safe character', 'ab-_', 2],
    ['a missing padding', 'aGVsbG8', 4],
    ['padding too early', 'a===', 1],
    ['data after padding', 'ab=c', 3],
    ['too much padding', 'abc==', 5],
  ])('refuses %s, naming the offset Go names', (_what, text, offset) => {
    expect(base64Error(text)).toBe(`illegal base64 data at input byte ${offset}`);
  });
});
