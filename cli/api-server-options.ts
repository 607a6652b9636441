/**
 * The API server flags `up` and `server` share, and the settings they turn into.
 */
import fs from 'node:fs';
import type { ApiServerConfig } from '../apiserver/api-server.js';
import { parseEncryptionConfig } from '../apiserver/storage/encryption-config.js';
import type { EncryptionConfig } from '../apiserver/storage/encryption-config.js';
import { DEFAULT_SERVICE_RANGES } from '../apiserver/rest/service-allocations.js';
import { parseTokenFile } from '../apiserver/auth/token-file.js';
import type { TokenUser } from '../apiserver/auth/token-file.js';

export const COMMON_OPTIONS = {
  port: { type: 'string' },
  'bind-address': { type: 'string' },
  'etcd-servers': { type: 'string' },
  'service-cluster-ip-range': { type: 'string' },
  'etcd-prefix': { type: 'string' },
  'encryption-provider-config': { type: 'string' },
  'token-auth-file': { type: 'string' },
  'plain-http': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type CommonValues = {
  [K in keyof typeof COMMON_OPTIONS]?: K extends 'help' | 'plain-http' ? boolean : string;
};

/** The only address plain HTTP may listen on: it authenticates nobody and lets everyone do anything. */
const PLAIN_HTTP_ADDRESS = '127.0.0.1';

/** Why these flags cannot serve plain HTTP, or undefined when they can (or do not ask to). Pure. */
export function plainHttpProblem(values: CommonValues): string | undefined {
  if (!values['plain-http']) return undefined;
  const address = values['bind-address'] ?? PLAIN_HTTP_ADDRESS;
  if (address !== PLAIN_HTTP_ADDRESS)
    return (
      `--plain-http serves the API without authentication, so it listens on ${PLAIN_HTTP_ADDRESS} only; ` +
      `--bind-address ${address} needs TLS (leave out --plain-http)`
    );
  if (values['token-auth-file'])
    return '--plain-http authenticates nobody, so --token-auth-file cannot apply: leave out one of them';
  return undefined;
}

/** The API server settings both `up` and `server` take from their flags. */
export function apiServerConfig(
  values: CommonValues,
  etcdServers: string[],
  port: number,
): Partial<ApiServerConfig> {
  const range = values['service-cluster-ip-range'];
  const encryptionFile = values['encryption-provider-config'];
  const tokenFile = values['token-auth-file'];
  return {
    etcdServers,
    port,
    bindAddress: values['bind-address'] ?? '127.0.0.1',
    ...(values['etcd-prefix'] ? { etcdPrefix: values['etcd-prefix'] } : {}),
    ...(range ? { serviceRanges: { ...DEFAULT_SERVICE_RANGES, clusterIpRange: range } } : {}),
    ...(encryptionFile ? { encryption: readEncryptionConfig(encryptionFile) } : {}),
    ...(tokenFile ? { tokenUsers: readTokenFile(tokenFile) } : {}),
  };
}

/** The users of `--token-auth-file`; errors name the flag and the file. */
export function readTokenFile(file: string): TokenUser[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`--token-auth-file: cannot read ${file} (${reason})`, { cause: err });
  }
  try {
    return parseTokenFile(text, file);
  } catch (err) {
    throw new Error(`--token-auth-file: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The file of `--encryption-provider-config`, checked whole; errors name the flag and the file. */
export function readEncryptionConfig(file: string): EncryptionConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`--encryption-provider-config: cannot read ${file} (${reason})`, { cause: err });
  }
  try {
    return parseEncryptionConfig(text);
  } catch (err) {
    throw new Error(
      `--encryption-provider-config ${file}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
