import { formatGoDuration, formatGoTime, TimeRangeError } from './go-time.js';

describe('formatGoTime', () => {
  it.each([
    [0, 0, 'seconds', '1970-01-01T00:00:00Z'],
    [1700000000, 999_999_999, 'seconds', '2023-11-14T22:13:20Z'],
    [1700000000, 123_456_789, 'micros', '2023-11-14T22:13:20.123456Z'],
    [1700000000, 0, 'micros', '2023-11-14T22:13:20.000000Z'],
    [-1, 0, 'seconds', '1969-12-31T23:59:59Z'],
    // Nanos outside [0, 1e9) carry into seconds, as Go's time.Unix does.
    [10, -1, 'micros', '1970-01-01T00:00:09.999999Z'],
    [10, 1_500_000_000, 'micros', '1970-01-01T00:00:11.500000Z'],
  ] as const)('formats %d s + %d ns at %s precision as %s', (seconds, nanos, precision, expected) => {
    expect(formatGoTime(seconds, nanos, precision)).toBe(expected);
  });

  it('gives null for Go zero time, which JSON writes as null', () => {
    expect(formatGoTime(-62135596800, 0, 'seconds')).toBeNull();
    expect(formatGoTime(-62135596800, 0, 'micros')).toBeNull();
  });

  it('rejects times no date can hold', () => {
    expect(() => formatGoTime(1e15, 0, 'seconds')).toThrow(TimeRangeError);
  });
});

describe('formatGoDuration', () => {
  // The outputs of Go's time.Duration.String().
  it.each([
    [0n, '0s'],
    [1n, '1ns'],
    [1_100n, '1.1µs'],
    [2_200_000n, '2.2ms'],
    [100_000_000n, '100ms'],
    [1_000_000_000n, '1s'],
    [1_500_000_000n, '1.5s'],
    [61_000_000_000n, '1m1s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_500_000_000n, '1h2m3.5s'],
    [-1_500_000_000n, '-1.5s'],
    [-5n, '-5ns'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
  ])('formats %d ns as %s', (nanoseconds, expected) => {
    expect(formatGoDuration(nanoseconds)).toBe(expected);
  });
});
