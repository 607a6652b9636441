import { isIntegerQuantity, parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  it.each<[unknown, bigint]>([
    ['1', 1_000_000_000n],
    [1, 1_000_000_000n],
    ['100m', 100_000_000n],
    ['0.1', 100_000_000n],
    ['.5', 500_000_000n],
    ['1Ki', 1024n * 1_000_000_000n],
    ['1Gi', 1024n ** 3n * 1_000_000_000n],
    ['1G', 1_000_000_000n * 1_000_000_000n],
    ['2e3', 2000n * 1_000_000_000n],
    ['1E', 10n ** 18n * 1_000_000_000n],
    ['5n', 5n],
    ['1.5n', 2n],
    ['-1', -1_000_000_000n],
  ])('%p is %p nano-units', (text, nanos) => {
    expect(parseQuantity(text)).toBe(nanos);
  });

  it.each(['', 'lots', '1.2.3', '1 Gi', '1e', '1KB', '1e500', null, {}])('refuses %p', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it('compares equal amounts written in different units as equal', () => {
    expect(parseQuantity('1000m')).toBe(parseQuantity('1'));
    expect(parseQuantity('1024Mi')).toBe(parseQuantity('1Gi'));
  });

  it('tells whole amounts from fractional ones', () => {
    expect(isIntegerQuantity(parseQuantity('2') as bigint)).toBe(true);
    expect(isIntegerQuantity(parseQuantity('1500m') as bigint)).toBe(false);
  });
});
