/**
 * Bearer-token authentication, the one credential a Kubicle cluster hands out: `up` and `server`
 * create a token, put it in the kubeconfig they write and print it for `kubicle agent --token` on
 * other hosts.
 *
 * Contract: with no tokens configured every request passes (tests, embedded servers). Otherwise a
 * request passes when its `Authorization: Bearer <token>` header names one of them. The health and
 * version endpoints pass without one, as upstream lets anonymous clients read them
 * (system:public-info-viewer), and so does `/cacerts`, the CA a joining agent checks against its
 * token. Anything else gets upstream's 401 Status, with no hint of why.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/cacerts']);

/** Whether `authorization` (the header's value) carries one of the tokens. Pure. */
export function bearerTokenMatches(authorization: string | undefined, tokens: readonly Buffer[]): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  // Hashing first gives equal lengths, so the comparison takes the same time for every guess.
  const presented = digest(match[1]);
  return tokens.some((token) => timingSafeEqual(presented, token));
}

export function isPublicPath(path: string): boolean {
  return (
    PUBLIC_PATHS.has(path) ||
    path.startsWith('/healthz/') ||
    path.startsWith('/livez/') ||
    path.startsWith('/readyz/')
  );
}

export function tokenAuthentication(tokens: readonly string[] | undefined) {
  const digests = tokenDigests((tokens ?? []).filter(Boolean));
  return (req: Request, res: Response, next: NextFunction): void => {
    if (
      digests.length === 0 ||
      isPublicPath(req.path) ||
      bearerTokenMatches(req.headers.authorization, digests)
    )
      return next();
    res.status(401).json({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The form of the tokens `bearerTokenMatches` compares against. */
export function tokenDigests(tokens: readonly string[]): Buffer[] {
  return tokens.map(digest);
}
