import { ApiError } from './api-error.js';
import { parseLabelSelectorQuery } from './label-selector-query.js';

describe('parseLabelSelectorQuery', () => {
  it.each([
    [undefined, ''],
    [null, ''],
    ['', ''],
    ['tier=fe, app in (web)', 'app in (web),tier=fe'],
  ])('parses %j', (text, canonical) => {
    expect(parseLabelSelectorQuery(text).toString()).toBe(canonical);
  });

  it.each([
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a,', "found '', expected: identifier after ','"],
  ])('answers %j with a 400 Bad Request', (text, message) => {
    let caught: unknown;
    try {
      parseLabelSelectorQuery(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    const error = caught as ApiError;
    expect(error.code).toBe(400);
    expect(error.toStatus()).toMatchObject({ reason: 'BadRequest', message, code: 400 });
  });
});
