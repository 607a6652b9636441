/**
 * Join tokens: what `kubicle agent --token` needs to join a cluster it has never seen, securely. As
 * k3s's, a token is `K10<sha256 of the cluster CA certificate>::<secret>`: the agent fetches the CA
 * from the server's public `/cacerts`, accepts it only if its hash is the one in the token (so a
 * server in the middle cannot pose as the cluster), then trusts it and presents the secret. A bare
 * secret is still accepted, without that verification.
 */
import { X509Certificate, createHash } from 'node:crypto';

const PREFIX = 'K10';

export interface JoinToken {
  /** Hex SHA-256 of the CA certificate (DER); absent for a bare secret. */
  caHash?: string;
  secret: string;
}

export function caCertificateHash(caPem: string): string {
  return createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex');
}

export function formatJoinToken(caPem: string, secret: string): string {
  return `${PREFIX}${caCertificateHash(caPem)}::${secret}`;
}

export function parseJoinToken(token: string): JoinToken {
  const match = /^K10([0-9a-f]{64})::(.+)$/.exec(token.trim());
  return match ? { caHash: match[1], secret: match[2] } : { secret: token.trim() };
}

/**
 * The CA certificate out of `/cacerts`'s answer if it is the one the token names; otherwise why
 * not, for an error that says what to check.
 */
export function verifyCaCertificate(
  token: JoinToken,
  fetchedPem: string,
): { ok: true; caPem: string } | { ok: false; why: string } {
  if (!token.caHash) return { ok: false, why: 'the token names no CA' };
  let hash: string;
  try {
    hash = caCertificateHash(fetchedPem);
  } catch {
    return { ok: false, why: 'the server sent no readable CA certificate' };
  }
  if (hash !== token.caHash)
    return {
      ok: false,
      why: `the server's CA (sha256 ${hash.slice(0, 16)}…) is not the one the token names (${token.caHash.slice(0, 16)}…)`,
    };
  return { ok: true, caPem: fetchedPem };
}
