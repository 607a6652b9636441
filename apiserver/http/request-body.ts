/**
 * Turns a raw request body into JSON by its Content-Type. A missing Content-Type means JSON, as
 * upstream falls back to its first media type (`kubectl scale --current-replicas` sends none).
 * Object bodies may also be Kubernetes protobuf, which client-go's typed clients send.
 */
import { parse as parseYaml } from 'yaml';
import { badRequest, unsupportedMediaType } from '../api-error.js';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from '../protobuf/protobuf-body.js';
import { checkNestingDepth } from './nesting-depth.js';

export const JSON_TYPES = ['application/json', 'application/yaml'];
export const OBJECT_BODY_TYPES = [...JSON_TYPES, PROTOBUF_MEDIA_TYPE];

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export function parseJsonBody(raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  checkNestingDepth(raw);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function parseYamlBody(raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  checkNestingDepth(raw);
  try {
    return parseYaml(raw.toString('utf8'), { maxAliasCount: 100 });
  } catch (err) {
    throw badRequest(`the request body is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The body of a create or update (not a patch). */
export function parseObjectBody(contentType: string | undefined, raw: Buffer | undefined): unknown {
  const type = mediaType(contentType);
  if (type === '' || type === 'application/json' || type === '*/*') return parseJsonBody(raw);
  if (type === 'application/yaml') return parseYamlBody(raw);
  if (type === PROTOBUF_MEDIA_TYPE) return raw && raw.length ? decodeProtobufBody(raw).object : undefined;
  throw unsupportedMediaType(type, OBJECT_BODY_TYPES);
}
