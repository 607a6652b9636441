/**
 * The API client the proxy and the cluster DNS use, from whatever the caller has: a client already,
 * a KubeConfig, or the path of a kubeconfig file (default: client-node's usual search).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';

export interface ClientSource {
  /** A KubeConfig, or the path of a kubeconfig file. Ignored when `client` is given. */
  readonly kubeConfig?: KubeConfig | string;
  readonly client?: ApiClient;
}

export function apiClientFrom(source: ClientSource, userAgent: string): ApiClient {
  if (source.client) return source.client;
  if (source.kubeConfig instanceof KubeConfig) return clientFor(source.kubeConfig, { userAgent });
  const kubeConfig = new KubeConfig();
  if (source.kubeConfig) kubeConfig.loadFromFile(source.kubeConfig);
  else kubeConfig.loadFromDefault();
  return clientFor(kubeConfig, { userAgent });
}
