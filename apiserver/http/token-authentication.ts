/**
 * Bearer tokens: each configured token names a user (auth/token-file.ts), known by its token or by
 * the token's SHA-256 only; the cluster's own admin token, which `up` and `server` put in the
 * kubeconfig, is `kubicle-admin`. request-authentication.ts applies them to requests.
 *
 * Contract: a request whose `Authorization: Bearer <token>` header names a token runs as its user,
 * always also in `system:authenticated`. Which paths pass without a user (`isPublicPath`) is decided
 * here, as upstream lets anonymous clients read the health and version endpoints
 * (system:public-info-viewer), plus `/cacerts` (the CA a joining agent checks against its token).
 * The user is left in `res.locals.user` for authorization (`requestUser`).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Response } from 'express';
import type { TokenHash, TokenUser } from '../auth/token-file.js';
import type { UserInfo } from '../auth/user-info.js';
import { ANONYMOUS_USER, withAuthenticatedGroup } from '../auth/user-info.js';

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/cacerts']);

export interface KnownToken {
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

/**
 * Tokens known by their SHA-256 (hex) only, in the same form; a malformed digest matches nothing
 * rather than everything.
 */
export function knownTokenHashes(hashes: readonly TokenHash[]): KnownToken[] {
  return hashes
    .filter((h) => /^[0-9a-f]{64}$/i.test(h.sha256))
    .map((h) => ({
      digest: Buffer.from(h.sha256, 'hex'),
      user: withAuthenticatedGroup({ name: h.user, ...(h.uid ? { uid: h.uid } : {}), groups: h.groups }),
    }));
}

/** Who the request runs as, once `requestAuthentication` has passed it. */
export function requestUser(res: Response): UserInfo {
  return (res.locals.user as UserInfo | undefined) ?? ANONYMOUS_USER;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The form of the tokens `bearerTokenMatches` compares against. */
export function tokenDigests(tokens: readonly string[]): Buffer[] {
  return tokens.map(digest);
}
