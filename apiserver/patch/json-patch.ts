/**
 * RFC 6902 JSON patch (`application/json-patch+json`), answering failures as kube-apiserver does:
 * - a body that does not decode as a list of operation objects: 400 BadRequest with the decoder's words;
 * - more than 10000 operations: 413;
 * - any operation that cannot be applied (unknown op, missing path, failed `test`, ...): 422 Invalid with
 *   upstream's fixed message "the server rejected our request due to an error in our request"
 *   (upstream drops the underlying reason, so kubectl prints exactly that).
 * The result may be any JSON value (e.g. after replacing the root); callers decide what is acceptable.
 */
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { isPlainObject } from '../api-object.js';
import { ApiError, badRequest } from '../api-error.js';
import { jsonKindName } from './go-text.js';
import { patchRejected } from './patch-errors.js';
import { cloneJson } from '../clone-json.js';

export const MAX_JSON_PATCH_OPERATIONS = 10000;

// The library also accepts its private `_get`; upstream knows only RFC 6902's six.
const OPERATIONS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKindName(operations)} into Go value of type jsonpatch.Patch`,
    );
  }
  const notAnObject = operations.find((operation) => !isPlainObject(operation));
  if (notAnObject !== undefined) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKindName(notAnObject)} into Go value of type jsonpatch.Operation`,
    );
  }
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`,
    );
  }
  // The library writes into operation objects and inserts their values by reference: give it copies.
  const ownOperations = cloneJson(operations) as Operation[];
  try {
    if (ownOperations.some((operation) => !OPERATIONS.has(operation.op))) throw new Error('unknown op');
    return jsonpatch.applyPatch(cloneJson(target), ownOperations, true, true).newDocument;
  } catch {
    throw patchRejected();
  }
}
