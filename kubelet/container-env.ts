/**
 * A container's environment, as upstream's makeEnvironmentVariables builds it, from objects the
 * caller has already looked up (no API access here).
 *
 * Contract:
 * - Order of precedence: `envFrom` sources in order, then `env` entries in order (an `env` entry
 *   replaces an `envFrom` variable of the same name), then the service variables for names not taken.
 * - `value` is expanded: `$(NAME)` becomes the value of a variable declared before it (envFrom, or an
 *   earlier env entry) or of a service variable; unknown references stay as written; `$$` is a literal
 *   `$`. `valueFrom` reads configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef.
 * - A missing ConfigMap, Secret or key fails with ContainerConfigError (the container waits with
 *   reason CreateContainerConfigError), unless the reference is `optional`, which skips the variable.
 *   envFrom keys that are not valid variable names are skipped and reported in `warnings` (the
 *   kubelet's InvalidEnvironmentVariableNames event).
 * - Service variables: every service with a cluster IP in the pod's namespace (when
 *   enableServiceLinks is not false), plus `kubernetes` from `default` always; each gives
 *   `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>` and the Docker
 *   link variables `<NAME>_PORT`, `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`.
 */
import type { ConfigMap, Container, Pod, Secret, Service } from './api-types.js';
import { milliValue, unitValue } from './container-resources.js';
import type { EnvVar } from './runtime/runtime.js';

export interface EnvSources {
  /** ConfigMaps of the pod's namespace, by name; a name that is absent does not exist. */
  configMaps: ReadonlyMap<string, ConfigMap>;
  /** Secrets of the pod's namespace, by name. */
  secrets: ReadonlyMap<string, Secret>;
  /** Services as the kubelet knows them, of all namespaces. */
  services: readonly Service[];
  podIPs?: string[];
  hostIPs?: string[];
  /** What limits default to for resourceFieldRef when a container sets none. */
  nodeAllocatable?: Record<string, string>;
}

export interface ContainerEnv {
  env: EnvVar[];
  warnings: string[];
}

export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** The services every pod sees, from the default namespace, whatever enableServiceLinks says. */
const MASTER_SERVICES = new Set(['kubernetes']);
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

type Mapping = (name: string) => string;

/** upstream's expansion.MappingFuncFor: the first context that has the name wins. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const context of contexts) {
      const value = context.get(name);
      if (value !== undefined) return value;
    }
    return `$(${name})`;
  };
}

/** upstream's expansion.Expand. */
export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) {
        out += '$(';
      } else {
        out += mapping(rest.slice(1, close));
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function envVariableName(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

function hasClusterIP(service: Service): boolean {
  const ip = service.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** upstream's envvars.FromServices. */
export function envVarsFromServices(services: readonly Service[]): EnvVar[] {
  const result: EnvVar[] = [];
  for (const service of services) {
    const ports = service.spec?.ports ?? [];
    if (!hasClusterIP(service) || ports.length === 0) continue;
    const clusterIP = service.spec!.clusterIP!;
    const prefix = envVariableName(service.metadata?.name ?? '');
    result.push({ name: `${prefix}_SERVICE_HOST`, value: clusterIP });
    result.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const port of ports) {
      if (port.name)
        result.push({
          name: `${prefix}_SERVICE_PORT_${envVariableName(port.name)}`,
          value: String(port.port),
        });
    }
    ports.forEach((port, i) => {
      const protocol = (port.protocol || 'TCP').toLowerCase();
      const hostPort = clusterIP.includes(':') ? `[${clusterIP}]:${port.port}` : `${clusterIP}:${port.port}`;
      const url = `${protocol}://${hostPort}`;
      // Docker links special-case the first port.
      if (i === 0) result.push({ name: `${prefix}_PORT`, value: url });
      const portPrefix = `${prefix}_PORT_${port.port}_${protocol.toUpperCase()}`;
      result.push(
        { name: portPrefix, value: url },
        { name: `${portPrefix}_PROTO`, value: protocol },
        { name: `${portPrefix}_PORT`, value: String(port.port) },
        { name: `${portPrefix}_ADDR`, value: clusterIP },
      );
    });
  }
  return result;
}

/** upstream's getServiceEnvVarMap. */
export function serviceEnvironment(
  services: readonly Service[],
  namespace: string,
  enableServiceLinks: boolean,
): Map<string, string> {
  const chosen = new Map<string, Service>();
  const byName = [...services].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const service of byName) {
    if (!hasClusterIP(service)) continue;
    const name = service.metadata?.name ?? '';
    const ns = service.metadata?.namespace ?? '';
    if (ns === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, service);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, service);
    }
  }
  return new Map(envVarsFromServices([...chosen.values()]).map((e) => [e.name, e.value]));
}

function decodeSecretValue(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

function secretData(secret: Secret): Map<string, string> {
  const data = new Map(Object.entries(secret.data ?? {}).map(([k, v]) => [k, decodeSecretValue(v)]));
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data.set(k, v);
  return data;
}

/** fieldpath.FormatMap: sorted `key="value"` lines. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

/** The value of a downward-API fieldRef of the pod. */
export function podFieldValue(
  fieldPath: string,
  pod: Pod,
  sources: Pick<EnvSources, 'podIPs' | 'hostIPs'>,
): string {
  const meta = pod.metadata ?? {};
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (subscript) return (subscript[1] === 'labels' ? meta.labels : meta.annotations)?.[subscript[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return sources.hostIPs?.[0] ?? '';
    case 'status.hostIPs':
      return (sources.hostIPs ?? []).join(',');
    case 'status.podIP':
      return sources.podIPs?.[0] ?? '';
    case 'status.podIPs':
      return (sources.podIPs ?? []).join(',');
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
  }
}

/** The value of a resourceFieldRef: rounded up in units of the divisor; unset limits are the node's. */
export function resourceFieldValue(
  ref: { containerName?: string; resource: string; divisor?: string },
  pod: Pod,
  container: Container,
  nodeAllocatable: Record<string, string> = {},
): string {
  const target = ref.containerName
    ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
        (c) => c.name === ref.containerName,
      )
    : container;
  if (!target) throw new ContainerConfigError(`container ${ref.containerName} not found in pod`);
  const [kind, resource] = ref.resource.split('.', 2) as ['limits' | 'requests', string];
  if ((kind !== 'limits' && kind !== 'requests') || !resource) {
    throw new ContainerConfigError(`unsupported container resource : ${ref.resource}`);
  }
  const quantity =
    kind === 'limits'
      ? (target.resources?.limits?.[resource] ?? nodeAllocatable[resource])
      : target.resources?.requests?.[resource];
  const divisor = ref.divisor && ref.divisor !== '0' ? ref.divisor : '1';
  if (resource === 'cpu') return String(Math.ceil(milliValue(quantity) / milliValue(divisor)));
  return String(Math.ceil(unitValue(quantity) / unitValue(divisor)));
}

export function makeEnvironmentVariables(pod: Pod, container: Container, sources: EnvSources): ContainerEnv {
  const namespace = pod.metadata?.namespace ?? '';
  const serviceEnv = serviceEnvironment(sources.services, namespace, pod.spec?.enableServiceLinks !== false);
  const env = new Map<string, string>();
  const warnings: string[] = [];

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configMap' : 'secret';
    const name = ref.name ?? '';
    const data = from.configMapRef
      ? lookupConfigMap(sources, name, ref.optional === true)
      : lookupSecret(sources, name, ref.optional === true);
    if (!data) continue;
    const invalid: string[] = [];
    for (const [key, value] of data) {
      const varName = (from.prefix ?? '') + key;
      if (!ENV_VAR_NAME.test(varName)) invalid.push(varName);
      else env.set(varName, value);
    }
    if (invalid.length) {
      warnings.push(
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${kind} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  const mapping = mappingFor(env, serviceEnv);
  for (const variable of container.env ?? []) {
    let value = variable.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (variable.valueFrom) {
      const resolved = resolveValueFrom(variable.valueFrom, pod, container, sources, namespace);
      if (resolved === undefined) continue;
      value = resolved;
    }
    env.set(variable.name, value);
  }

  for (const [name, value] of serviceEnv) if (!env.has(name)) env.set(name, value);
  return { env: [...env].map(([name, value]) => ({ name, value })), warnings };
}

/** undefined: an optional source that does not exist, so the variable is left out. */
function resolveValueFrom(
  valueFrom: NonNullable<NonNullable<Container['env']>[number]['valueFrom']>,
  pod: Pod,
  container: Container,
  sources: EnvSources,
  namespace: string,
): string | undefined {
  if (valueFrom.fieldRef) return podFieldValue(valueFrom.fieldRef.fieldPath, pod, sources);
  if (valueFrom.resourceFieldRef) {
    return resourceFieldValue(valueFrom.resourceFieldRef, pod, container, sources.nodeAllocatable);
  }
  const ref = valueFrom.configMapKeyRef ?? valueFrom.secretKeyRef;
  if (!ref) return '';
  const optional = ref.optional === true;
  const isConfigMap = valueFrom.configMapKeyRef !== undefined;
  const name = ref.name ?? '';
  const data = isConfigMap ? lookupConfigMap(sources, name, optional) : lookupSecret(sources, name, optional);
  if (!data) return undefined;
  const value = data.get(ref.key);
  if (value !== undefined) return value;
  if (optional) return undefined;
  throw new ContainerConfigError(
    `couldn't find key ${ref.key} in ${isConfigMap ? 'ConfigMap' : 'Secret'} ${namespace}/${name}`,
  );
}

function lookupConfigMap(
  sources: EnvSources,
  name: string,
  optional: boolean,
): Map<string, string> | undefined {
  const configMap = sources.configMaps.get(name);
  if (configMap) return new Map(Object.entries(configMap.data ?? {}));
  if (optional) return undefined;
  throw new ContainerConfigError(`configmap "${name}" not found`);
}

function lookupSecret(sources: EnvSources, name: string, optional: boolean): Map<string, string> | undefined {
  const secret = sources.secrets.get(name);
  if (secret) return secretData(secret);
  if (optional) return undefined;
  throw new ContainerConfigError(`secret "${name}" not found`);
}

/** `$(VAR)` in command and args refers to the container's final environment. */
export function expandCommandAndArgs(
  container: Pick<Container, 'command' | 'args'>,
  env: EnvVar[],
): { command?: string[]; args?: string[] } {
  const mapping = mappingFor(new Map(env.map((e) => [e.name, e.value])));
  return {
    command: container.command?.length ? container.command.map((c) => expand(c, mapping)) : undefined,
    args: container.args?.length ? container.args.map((a) => expand(a, mapping)) : undefined,
  };
}
