/**
 * A non-2xx answer from the API server, carrying the `Status` it sent, so callers branch on `code`
 * and `reason` (`if (isNotFound(err)) return;`) as client-go callers do with apierrors.IsNotFound.
 * Network failures (connection refused, reset) are not ApiStatusErrors: they stay the Node errors
 * they are, with their `code` such as ECONNREFUSED.
 */
import type { Status, StatusDetails } from '../apiserver/api-error.js';

export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }

  /** Builds the error from a response: `body` is the parsed Status, or the raw text of anything else. */
  static fromResponse(httpStatus: number, body: unknown): ApiStatusError {
    const status = isStatus(body) ? body : undefined;
    const text = typeof body === 'string' && body.trim() ? `: ${body.trim().slice(0, 200)}` : '';
    return new ApiStatusError(
      status?.code || httpStatus,
      status?.reason || reasonForCode(httpStatus),
      status?.message || `the server responded with HTTP ${httpStatus}${text}`,
      status?.details,
    );
  }

  /** For an ERROR watch event, whose object is a Status. */
  static fromStatus(status: unknown): ApiStatusError {
    return ApiStatusError.fromResponse(isStatus(status) ? status.code : 500, status);
  }
}

function isStatus(body: unknown): body is Status {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status';
}

/** Upstream's reasons for bare HTTP codes (apierrors.NewGenericServerResponse). */
function reasonForCode(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    406: 'NotAcceptable',
    409: 'Conflict',
    410: 'Gone',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[code] ?? 'Unknown';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiStatusError && err.code === 404;
}

/** 409 with reason AlreadyExists: a create hit an existing name. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiStatusError && err.code === 409 && err.reason === 'AlreadyExists';
}

/** 409 with reason Conflict: a write carried a stale resourceVersion (or failed a precondition). */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiStatusError && err.code === 409 && err.reason !== 'AlreadyExists';
}

/** 410 Gone / Expired: the resourceVersion asked for is no longer in history; list again. */
export function isResourceExpired(err: unknown): boolean {
  return err instanceof ApiStatusError && err.code === 410;
}
