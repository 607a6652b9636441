/**
 * The JSON text Go's apimachinery writes for the time types that protobuf carries as numbers, so a
 * decoded protobuf body reads exactly as the same object sent as JSON: `metav1.Time` is RFC3339 in
 * UTC to the second, `metav1.MicroTime` keeps six fractional digits, the zero time is `null`, and
 * `metav1.Duration` is Go's `time.Duration.String()`.
 */

/** `time.Time{}.Unix()`: protobuf's encoding of Go's zero time when it is written out. */
const GO_ZERO_TIME_SECONDS = -62135596800;
const NANOS_PER_SECOND = 1_000_000_000;

export class TimeRangeError extends Error {}

/** `seconds`/`nanos` of a `Timestamp`; null for Go's zero time, which JSON writes as `null`. */
export function formatGoTime(seconds: number, nanos: number, precision: 'seconds' | 'micros'): string | null {
  const carry = Math.floor(nanos / NANOS_PER_SECOND);
  const sec = seconds + carry;
  const nsec = nanos - carry * NANOS_PER_SECOND;
  if (sec === GO_ZERO_TIME_SECONDS && nsec === 0) return null;
  const date = new Date(sec * 1000);
  if (Number.isNaN(date.getTime())) throw new TimeRangeError(`time ${seconds}s is out of range`);
  const whole = date.toISOString().replace(/\.\d{3}Z$/, '');
  if (precision === 'seconds') return `${whole}Z`;
  return `${whole}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}Z`;
}

/** Go's `time.Duration(nanoseconds).String()`: `1h2m3.5s`, `1.5ms`, `0s`. */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const negative = nanoseconds < 0n;
  const magnitude = negative ? -nanoseconds : nanoseconds;
  const sign = negative ? '-' : '';
  if (magnitude < BigInt(NANOS_PER_SECOND)) {
    const [unit, digits] =
      magnitude < 1_000n ? ['ns', 0] : magnitude < 1_000_000n ? ['\u00b5s', 3] : ['ms', 6];
    const [whole, fraction] = splitFraction(magnitude, digits);
    return `${sign}${whole}${fraction}${unit}`;
  }
  const [totalSeconds, fraction] = splitFraction(magnitude, 9);
  const seconds = totalSeconds % 60n;
  const totalMinutes = totalSeconds / 60n;
  let text = `${seconds}${fraction}s`;
  if (totalMinutes > 0n) {
    text = `${totalMinutes % 60n}m${text}`;
    const hours = totalMinutes / 60n;
    if (hours > 0n) text = `${hours}h${text}`;
  }
  return sign + text;
}

/** `value / 10^digits` as its integer part and `.ddd` with trailing zeros (and a bare `.`) dropped. */
function splitFraction(value: bigint, digits: number): [bigint, string] {
  if (digits === 0) return [value, ''];
  const scale = 10n ** BigInt(digits);
  const fraction = value % scale;
  if (fraction === 0n) return [value / scale, ''];
  return [value / scale, `.${fraction.toString().padStart(digits, '0').replace(/0+$/, '')}`];
}
