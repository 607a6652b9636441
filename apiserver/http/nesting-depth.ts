/**
 * Refuses request bodies nested deeper than any real object: the decoders and everything after them
 * (cloning, patching, validation) walk documents recursively, and a body of ten thousand nested
 * brackets would otherwise end in a stack overflow and a 500. Upstream's decoder has a depth cap too.
 *
 * Counts JSON/YAML flow brackets outside strings in one pass over the raw bytes, without parsing. Pure.
 */
import { badRequest } from '../api-error.js';

export const MAX_NESTING_DEPTH = 1000;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest bracket nesting in `raw`, ignoring brackets inside double-quoted strings. */
export function nestingDepth(raw: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > deepest) deepest = depth;
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) depth--;
  }
  return deepest;
}

export function checkNestingDepth(raw: Uint8Array, limit = MAX_NESTING_DEPTH): void {
  // A body shorter than the limit cannot nest past it.
  if (raw.length <= limit) return;
  if (nestingDepth(raw) > limit)
    throw badRequest(`the request body is nested more than ${limit} levels deep`);
}
