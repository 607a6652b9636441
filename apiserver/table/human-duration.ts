/**
 * Elapsed-time formatting as kubectl shows it (apimachinery `util/duration`). Durations are in
 * milliseconds. Whole units are truncated, never rounded, as Go's integer conversions do, so a value
 * printed here matches the same value printed by a real server to the character.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Clock skew between the server and whoever set the timestamp makes "just now" slightly negative;
 * up to (but excluding) two seconds in the future is still shown as `0s`.
 */
function skewed(ms: number): string | undefined {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  return undefined;
}

/** About two or three significant figures: `45s`, `5m10s`, `70m`, `3h`, `2d5h`, `367d`, `2y1d`, `9y`. */
export function humanDuration(ms: number): string {
  const early = skewed(ms);
  if (early !== undefined) return early;
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 60 * 2) return `${seconds}s`;

  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;

  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** One unit only: `59s`, `1m`, `23h`, `364d`, `2y`. */
export function shortHumanDuration(ms: number): string {
  const early = skewed(ms);
  if (early !== undefined) return early;
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}
