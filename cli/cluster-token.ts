/**
 * The cluster's bearer secrets, kept so that the server side never needs one in clear on disk: the
 * admin token (user `kubicle-admin` in `system:masters`), which lives in the admin kubeconfig, and the
 * join secret (user `system:bootstrap:kubicle` in `system:bootstrappers`, allowed only to ask for
 * node credentials), whose operator copy is the join token file. The server reads their SHA-256
 * hashes, as CSV lines `sha256hex,user,uid,"group1,group2"` in a 0600 file in the cert dir.
 *
 * Contract: `ensureClusterTokens` keeps a secret across restarts when the copy it is shown (the
 * kubeconfig's token, the join token file's secret) hashes to what is stored for that user, and
 * otherwise makes a new random one and stores its hash in its place. Other lines of the file are
 * kept as they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { parseTokenFile } from '../apiserver/auth/token-file.js';
import type { TokenHash } from '../apiserver/auth/token-file.js';
import { parseJoinToken } from './join-token.js';
import { kubeconfigToken } from './kubeconfig.js';

export const ADMIN_TOKEN_USER = { user: 'kubicle-admin', groups: ['system:masters'] } as const;
export const JOIN_TOKEN_USER = {
  user: 'system:bootstrap:kubicle',
  groups: ['system:bootstrappers'],
} as const;

export function tokenHashFile(certDir: string): string {
  return path.join(certDir, 'token-hashes.csv');
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newSecret(): string {
  return `kubicle-${randomBytes(24).toString('hex')}`;
}

/** The file's lines for `hashes`. Pure. */
export function formatTokenHashes(hashes: readonly TokenHash[]): string {
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  const field = (value: string) => (/[",\s]/.test(value) ? quote(value) : value);
  return hashes
    .map((h) => `${h.sha256},${field(h.user)},${field(h.uid ?? '')},${quote(h.groups.join(','))}\n`)
    .join('');
}

/** The hashes in the file's text (the token-file CSV with digests in the token column). Pure. */
export function parseTokenHashes(text: string, file: string): TokenHash[] {
  return parseTokenFile(text, file).map(({ token, ...user }) => ({ sha256: token.toLowerCase(), ...user }));
}

/** `candidate` if it is the secret `stored` was made from, else a new one. Pure but for randomness. */
export function keptOrNew(candidate: string | undefined, stored: TokenHash | undefined): string {
  return candidate && stored && stored.sha256 === sha256Hex(candidate) ? candidate : newSecret();
}

export interface ClusterTokens {
  adminToken: string;
  joinSecret: string;
  /** Everything the file holds now, for `ApiServerConfig.tokenHashes`. */
  hashes: TokenHash[];
}

export function ensureClusterTokens(options: {
  certDir: string;
  /** The admin token as the admin kubeconfig has it, if it exists. */
  adminCandidate?: string;
  /** The admin token to use whatever is stored (`server --token`). */
  adminToken?: string;
  /** The join secret as the join token file has it, if it exists. */
  joinCandidate?: string;
}): ClusterTokens {
  const file = tokenHashFile(options.certDir);
  let stored: TokenHash[] = [];
  if (fs.existsSync(file)) stored = parseTokenHashes(fs.readFileSync(file, 'utf8'), file);
  const storedFor = (user: string) => stored.find((h) => h.user === user);
  const adminToken =
    options.adminToken ?? keptOrNew(options.adminCandidate, storedFor(ADMIN_TOKEN_USER.user));
  const joinSecret = keptOrNew(options.joinCandidate, storedFor(JOIN_TOKEN_USER.user));
  const hashes: TokenHash[] = [
    { sha256: sha256Hex(adminToken), user: ADMIN_TOKEN_USER.user, groups: [...ADMIN_TOKEN_USER.groups] },
    { sha256: sha256Hex(joinSecret), user: JOIN_TOKEN_USER.user, groups: [...JOIN_TOKEN_USER.groups] },
    ...stored.filter((h) => h.user !== ADMIN_TOKEN_USER.user && h.user !== JOIN_TOKEN_USER.user),
  ];
  fs.mkdirSync(options.certDir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, formatTokenHashes(hashes), { mode: 0o600 });
  fs.renameSync(temporary, file);
  return { adminToken, joinSecret, hashes };
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The operator's copies: the admin kubeconfig's token and the join token file's secret, if any. */
export function operatorCopies(
  kubeconfigFile: string,
  joinTokenFile: string,
): { adminCandidate?: string; joinCandidate?: string } {
  const kubeconfig = readIfExists(kubeconfigFile);
  const joinToken = readIfExists(joinTokenFile)?.trim();
  return {
    adminCandidate: kubeconfig === undefined ? undefined : kubeconfigToken(kubeconfig),
    joinCandidate: joinToken ? parseJoinToken(joinToken).secret : undefined,
  };
}
