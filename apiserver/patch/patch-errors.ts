/**
 * The two non-helper answers kube-apiserver gives for patches that cannot be applied:
 * - 422 with a fixed message and no cause, for JSON patch operations that do not apply and for lists of
 *   lists in a strategic merge patch (upstream wraps them with NewGenericServerResponse);
 * - 500 with no reason and the merge engine's own words, for every other strategic merge failure
 *   (upstream returns the plain error, so kubectl prints `Error from server: map: ... merge key: name`).
 */
import { ApiError } from '../api-error.js';

export function patchRejected(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

export function patchFailed(message: string): ApiError {
  return new ApiError(500, '', message);
}
