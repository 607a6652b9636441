/**
 * Decodes a request body sent as `application/vnd.kubernetes.protobuf` (what client-go's typed
 * clients, and so kubectl's `create deployment`, `create secret`, drain's evictions, send) into the
 * JSON object the same request would carry as JSON.
 *
 * The envelope is the magic `k8s\0` followed by a `runtime.Unknown` message: typeMeta = 1
 * ({apiVersion = 1, kind = 2}), raw = 2 (the encoded object), contentEncoding = 3, contentType = 4.
 * The object itself carries no TypeMeta, so apiVersion and kind come from the envelope.
 */
import { badRequest } from '../api-error.js';
import { PROTOBUF_KINDS } from './field-numbers.js';
import { TimeRangeError } from './go-time.js';
import { decodeMessage } from './message-decoder.js';
import { WIRE_BYTES, WireFormatError, WireReader } from './wire-reader.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from('k8s\u0000', 'latin1');

export interface ProtobufBody {
  apiVersion: string;
  kind: string;
  /** The decoded object, with apiVersion and kind set from the envelope. */
  object: Record<string, unknown>;
}

export function decodeProtobufBody(buf: Buffer): ProtobufBody {
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  }
  try {
    const { apiVersion, kind, raw } = readUnknown(buf.subarray(MAGIC.length));
    const model =
      PROTOBUF_KINDS[`${apiVersion}/${kind}`] ??
      (kind === 'DeleteOptions' ? PROTOBUF_KINDS.DeleteOptions : undefined);
    if (!model) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
    return { apiVersion, kind, object: { apiVersion, kind, ...decodeMessage(raw, model) } };
  } catch (err) {
    if (err instanceof WireFormatError || err instanceof TimeRangeError) {
      throw badRequest(`the request body is not a valid protobuf message: ${err.message}`);
    }
    throw err;
  }
}

function readUnknown(bytes: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  const reader = new WireReader(bytes);
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    if (field === 1 && wireType === WIRE_BYTES) {
      const typeMeta = new WireReader(reader.readBytes());
      while (!typeMeta.done) {
        const tag = typeMeta.readTag();
        if (tag.field === 1 && tag.wireType === WIRE_BYTES) apiVersion = typeMeta.readString();
        else if (tag.field === 2 && tag.wireType === WIRE_BYTES) kind = typeMeta.readString();
        else typeMeta.skip(tag.wireType);
      }
    } else if (field === 2 && wireType === WIRE_BYTES) {
      raw = reader.readBytes();
    } else {
      reader.skip(wireType);
    }
  }
  return { apiVersion, kind, raw };
}
