/**
 * Who a request runs as: upstream's union of authenticators reduced to X.509 client certificates
 * and bearer tokens (token-authentication.ts).
 *
 * Contract:
 * - With neither tokens nor a client CA configured nobody is authenticated and every request runs as
 *   the all-powerful `system:unsecured` (tests, embedded servers, `--plain-http`).
 * - A client certificate the TLS layer verified against the client CA (`socket.authorized`) makes
 *   the user: name = subject CN, groups = every subject O, as upstream's x509 authenticator; it is
 *   tried first, as upstream's is. A certificate that does not verify makes no user (the bearer
 *   token, if any, still may).
 * - Otherwise a known bearer token makes the user. Every authenticated user is also in
 *   `system:authenticated`.
 * - Without a user, public paths run as `system:anonymous`; anything else gets upstream's 401
 *   Status, with no hint of why. The user is left in `res.locals.user` (`requestUser`).
 */
import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import type { UserInfo } from '../auth/user-info.js';
import { ANONYMOUS_USER, UNSECURED_USER, withAuthenticatedGroup } from '../auth/user-info.js';
import type { KnownToken } from './token-authentication.js';
import { authenticateBearer, isPublicPath } from './token-authentication.js';

/** A certificate subject as Node's `getPeerCertificate()` gives it: repeated attributes as arrays. */
export type PeerSubject = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface AuthenticationOptions {
  tokens: readonly KnownToken[];
  /** Whether verified TLS client certificates identify users (the server has a client CA). */
  clientCertificates: boolean;
}

function values(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** The user a verified certificate's subject names; none without exactly one non-empty CN. Pure. */
export function certificateUser(subject: PeerSubject | undefined): UserInfo | undefined {
  const names = values(subject?.CN);
  if (names.length !== 1 || names[0] === '') return undefined;
  return withAuthenticatedGroup({ name: names[0], groups: values(subject?.O) });
}

/**
 * A connection's certificate cannot change while it is open (TLS 1.3 has no renegotiation; Node
 * refuses it for 1.2 servers), so its user is worked out once per connection: reading the peer
 * certificate costs more than the rest of authentication.
 */
const certificateUsers = new WeakMap<object, UserInfo | null>();

function peerCertificateUser(req: Request): UserInfo | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const known = certificateUsers.get(socket);
  if (known !== undefined) return known ?? undefined;
  const user = certificateUser(socket.getPeerCertificate().subject as PeerSubject | undefined);
  certificateUsers.set(socket, user ?? null);
  return user;
}

/**
 * A keep-alive connection sends the same Authorization header request after request: the user of
 * the last header seen on each connection is kept, so hashing and lookup happen once per change.
 */
const lastBearer = new WeakMap<object, { header: string; user: UserInfo | undefined }>();

function bearerUser(req: Request, tokens: readonly KnownToken[]): UserInfo | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const last = lastBearer.get(req.socket);
  if (last && last.header === header) return last.user;
  const user = authenticateBearer(header, tokens);
  lastBearer.set(req.socket, { header, user });
  return user;
}

const UNAUTHORIZED = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
});

export function requestAuthentication(options: AuthenticationOptions) {
  const { tokens, clientCertificates } = options;
  const unsecured = tokens.length === 0 && !clientCertificates;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (unsecured) {
      res.locals.user = UNSECURED_USER;
      return next();
    }
    const user =
      (clientCertificates ? peerCertificateUser(req) : undefined) ??
      (tokens.length ? bearerUser(req, tokens) : undefined);
    if (user || isPublicPath(req.path)) {
      res.locals.user = user ?? ANONYMOUS_USER;
      return next();
    }
    res.status(401).type('application/json').send(UNAUTHORIZED);
  };
}
