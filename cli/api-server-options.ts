/**
 * The API server flags `up` and `server` share, and the settings they turn into.
 */
import type { ApiServerConfig } from '../apiserver/api-server.js';
import { DEFAULT_SERVICE_RANGES } from '../apiserver/rest/service-allocations.js';

export const COMMON_OPTIONS = {
  port: { type: 'string' },
  'bind-address': { type: 'string' },
  'etcd-servers': { type: 'string' },
  'service-cluster-ip-range': { type: 'string' },
  'etcd-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type CommonValues = { [K in keyof typeof COMMON_OPTIONS]?: K extends 'help' ? boolean : string };

/** The API server settings both `up` and `server` take from their flags. */
export function apiServerConfig(
  values: CommonValues,
  etcdServers: string[],
  port: number,
): Partial<ApiServerConfig> {
  const range = values['service-cluster-ip-range'];
  return {
    etcdServers,
    port,
    bindAddress: values['bind-address'] ?? '127.0.0.1',
    ...(values['etcd-prefix'] ? { etcdPrefix: values['etcd-prefix'] } : {}),
    ...(range ? { serviceRanges: { ...DEFAULT_SERVICE_RANGES, clusterIpRange: range } } : {}),
  };
}
