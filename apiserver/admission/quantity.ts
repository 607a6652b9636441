/**
 * Resource quantities (`500m`, `1Gi`, `2e3`) as exact integers of nano-units, so requests and limits
 * compare without floating-point surprises (`0.1` vs `100m`). Only what admission needs: parsing,
 * comparison and the sign; canonical re-formatting is not attempted, messages echo the input.
 */

const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

// Exponents beyond this are far outside any resource amount; refusing them keeps BigInt math bounded.
const MAX_EXPONENT = 100;

/** The text form of a quantity as it appears in JSON (numbers are allowed there too). */
export function quantityText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Parsed quantities by text. Manifests repeat a handful of amounts (`100m`, `128Mi`) in every pod, and
 * the BigInt arithmetic below costs far more than a lookup. Bounded: cleared whenever it fills up.
 */
const parsedQuantities = new Map<string, bigint | undefined>();
const PARSED_QUANTITIES_MAX = 1024;

/** The quantity in nano-units, rounded up as upstream rounds sub-nano precision; undefined when malformed. */
export function parseQuantity(value: unknown): bigint | undefined {
  const text = quantityText(value);
  if (text === undefined) return undefined;
  const known = parsedQuantities.get(text);
  if (known !== undefined || parsedQuantities.has(text)) return known;
  const nanos = parseQuantityText(text);
  if (parsedQuantities.size >= PARSED_QUANTITIES_MAX) parsedQuantities.clear();
  parsedQuantities.set(text, nanos);
  return nanos;
}

function parseQuantityText(text: string): bigint | undefined {
  const match = /^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(.*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, number, suffix] = match;

  let power10 = 0;
  let power2 = 0;
  if (suffix in DECIMAL_SUFFIX) power10 = DECIMAL_SUFFIX[suffix];
  else if (suffix in BINARY_SUFFIX) power2 = BINARY_SUFFIX[suffix];
  else {
    const exponent = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
    if (!exponent) return undefined;
    power10 = Number(exponent[1]);
    if (Math.abs(power10) > MAX_EXPONENT) return undefined;
  }

  const [whole, fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole}${fraction}` || '0') * 2n ** BigInt(power2);
  let denominator = 10n ** BigInt(fraction.length);
  const scale = power10 + 9;
  if (scale >= 0) numerator *= 10n ** BigInt(scale);
  else denominator *= 10n ** BigInt(-scale);

  const nanos = (numerator + denominator - 1n) / denominator;
  return sign === '-' ? -nanos : nanos;
}

export function isIntegerQuantity(nanos: bigint): boolean {
  return nanos % 1_000_000_000n === 0n;
}
