/**
 * PATCH request bodies by media type: picks the engine for the Content-Type (parameters such as
 * `; charset=utf-8` ignored) and guarantees the result is an object. Answers as kube-apiserver does:
 * 415 for a media type it does not take (strategic merge included, for kinds the client models do not
 * describe, i.e. custom resources), 400 for a body that does not decode, 422 when the patched document is
 * no longer an object. Bodies may arrive parsed, or as text or bytes.
 */
import { parse as parseYaml } from 'yaml';
import { isPlainObject } from '../api-object.js';
import { badRequest, internalError, invalid, unsupportedMediaType } from '../api-error.js';
import { modelFields } from '../schema/model-schema.js';
import { jsonKindName } from './go-text.js';
import { applyJsonMergePatch } from './json-merge-patch.js';
import { applyJsonPatch } from './json-patch.js';
import { applyServerSide } from './server-side-apply.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** In the order upstream lists them in its 415 answer. */
export const SUPPORTED_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] as const;
export type PatchType = (typeof SUPPORTED_PATCH_TYPES)[number];

export interface ApplyPatchOptions {
  /** Whether the kind takes strategic merge patches; by default, whether `modelName` is a client model. */
  strategicMerge?: boolean;
}

/** `Application/Merge-Patch+JSON; charset=utf-8` → `application/merge-patch+json`. */
export function patchMediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

/** The patch types a kind accepts, for the 415 answer and for discovery-minded callers. */
export function acceptedPatchTypes(strategicMerge: boolean): PatchType[] {
  return SUPPORTED_PATCH_TYPES.filter((type) => strategicMerge || type !== STRATEGIC_MERGE_PATCH);
}

/**
 * `original` may be undefined only for server-side apply, which then creates the object; every other
 * patch type needs something to patch (upstream answers 404 before reaching the engine).
 */
export function applyPatch(
  contentType: string,
  original: object | undefined,
  body: unknown,
  modelName: string,
  opts: ApplyPatchOptions = {},
): Record<string, unknown> {
  const mediaType = patchMediaType(contentType);
  const accepted = acceptedPatchTypes(opts.strategicMerge ?? modelFields(modelName) !== undefined);
  if (!(accepted as string[]).includes(mediaType)) throw unsupportedMediaType(mediaType, accepted);
  if (original === undefined && mediaType !== APPLY_PATCH) {
    throw internalError(`a ${mediaType} patch needs an existing object`);
  }
  switch (mediaType as PatchType) {
    case JSON_PATCH:
      return asObject(applyJsonPatch(original as object, decodeJson(body)));
    case MERGE_PATCH: {
      const patch = decodeJson(body);
      // Upstream's merge patch library refuses these outright; an array patch only fails as a result.
      if (!isPlainObject(patch) && !Array.isArray(patch)) throw badRequest('Invalid JSON Patch');
      return asObject(applyJsonMergePatch(original as object, patch));
    }
    case STRATEGIC_MERGE_PATCH:
      return applyStrategicMergePatch(original as object, decodeJson(body), modelName);
    case APPLY_PATCH:
      return applyServerSide(original, parseApplyConfiguration(body), modelName);
  }
}

/** The object an apply request carries: YAML or JSON text (or bytes), or an already parsed object. */
export function parseApplyConfiguration(body: unknown): Record<string, unknown> {
  let configuration = body;
  const text = asText(body);
  if (text !== undefined) {
    try {
      configuration = parseYaml(text);
    } catch (error) {
      throw badRequest(`error decoding patch: ${(error as Error).message}`);
    }
  }
  if (!isPlainObject(configuration)) {
    throw badRequest(
      `error decoding patch: json: cannot unmarshal ${jsonKindName(configuration)} into Go value of type map[string]interface {}`,
    );
  }
  return configuration;
}

function asText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return undefined;
}

function decodeJson(body: unknown): unknown {
  const text = asText(body);
  if (text === undefined) return body;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`error decoding patch: ${(error as Error).message}`);
  }
}

function asObject(result: unknown): Record<string, unknown> {
  if (isPlainObject(result)) return result;
  throw invalid('', '', '', [
    {
      reason: 'FieldValueInvalid',
      field: 'patch',
      message: `Invalid value: ${JSON.stringify(JSON.stringify(result) ?? 'null')}: the patched document must be a JSON object`,
    },
  ]);
}
