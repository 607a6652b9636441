/**
 * Bearer-token authentication: each configured token names a user (auth/token-file.ts); the
 * cluster's own token, which `up` and `server` create and put in the kubeconfig, is the admin.
 *
 * Contract: with no tokens configured nobody is authenticated and every request runs as the
 * all-powerful `system:unsecured` (tests, embedded servers). Otherwise a request whose
 * `Authorization: Bearer <token>` header names a token runs as its user, always also in
 * `system:authenticated`. The health and version endpoints and `/cacerts` (the CA a joining agent
 * checks against its token) pass without one as `system:anonymous`, as upstream lets anonymous
 * clients read them (system:public-info-viewer). Anything else gets upstream's 401 Status, with no
 * hint of why. The user is left in `res.locals.user` for authorization (`requestUser`).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { TokenUser } from '../auth/token-file.js';
import type { UserInfo } from '../auth/user-info.js';
import { ANONYMOUS_USER, UNSECURED_USER, withAuthenticatedGroup } from '../auth/user-info.js';

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/cacerts']);

interface KnownToken {
  digest: Buffer;
  user: UserInfo;
}

function presentedDigest(authorization: string | undefined): Buffer | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match ? digest(match[1]) : undefined;
}

/** Whether `authorization` (the header's value) carries one of the tokens. Pure. */
export function bearerTokenMatches(authorization: string | undefined, tokens: readonly Buffer[]): boolean {
  const presented = presentedDigest(authorization);
  // Hashing first gives equal lengths, so the comparison takes the same time for every guess.
  return presented !== undefined && tokens.some((token) => timingSafeEqual(presented, token));
}

/** The user whose token `authorization` carries, if any. Pure. */
export function authenticateBearer(
  authorization: string | undefined,
  tokens: readonly KnownToken[],
): UserInfo | undefined {
  const presented = presentedDigest(authorization);
  if (!presented) return undefined;
  // Every token is compared, so the time taken does not tell which one came closest.
  let found: UserInfo | undefined;
  for (const token of tokens) if (timingSafeEqual(presented, token.digest)) found ??= token.user;
  return found;
}

export function isPublicPath(path: string): boolean {
  return (
    PUBLIC_PATHS.has(path) ||
    path.startsWith('/healthz/') ||
    path.startsWith('/livez/') ||
    path.startsWith('/readyz/')
  );
}

/** The tokens in the form `authenticateBearer` compares against. */
export function knownTokens(users: readonly TokenUser[]): KnownToken[] {
  return users
    .filter((u) => u.token)
    .map((u) => ({
      digest: digest(u.token),
      user: withAuthenticatedGroup({ name: u.user, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups }),
    }));
}

/** Who the request runs as, once `tokenAuthentication` has passed it. */
export function requestUser(res: Response): UserInfo {
  return (res.locals.user as UserInfo | undefined) ?? ANONYMOUS_USER;
}

export function tokenAuthentication(users: readonly TokenUser[]) {
  const tokens = knownTokens(users);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (tokens.length === 0) {
      res.locals.user = UNSECURED_USER;
      return next();
    }
    const user = authenticateBearer(req.headers.authorization, tokens);
    if (user || isPublicPath(req.path)) {
      res.locals.user = user ?? ANONYMOUS_USER;
      return next();
    }
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
