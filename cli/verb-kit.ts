/**
 * What the kubectl-style verbs (`get`, `apply`, `delete`, ...) share: flag parsing with kubectl's
 * connection flags, the session (kubeconfig, namespace, clients, discovery), and ending a command as
 * kubectl does — one line on stderr and exit code 1 on error, in kubectl's words
 * (`Error from server (NotFound): pods "x" not found`, `error: ...`).
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { ApiStatusError } from '../machinery/api-status-error.js';
import { discoverResources } from './api-discovery.js';
import { loadClusterConfig } from './command-kit.js';
import { KubeHttp } from './kube-http.js';
import { UsageError, resolveRequests } from './resource-resolver.js';
import type { ApiResource, ResolvedRequest } from './resource-resolver.js';

export { UsageError } from './resource-resolver.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The flags every verb takes, as kubectl names them. */
export const SESSION_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  server: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const SESSION_HELP = `Connection options:
  --kubeconfig FILE       kubeconfig to use (default: $KUBECONFIG, else the one 'kubicle up' writes)
  --context NAME          the kubeconfig context to use
  --server URL            the API server's URL instead of a kubeconfig
  -n, --namespace NS      namespace (default: the context's namespace, else default)
  -h, --help              show this help`;

/** One line for whatever went wrong, worded as kubectl words it. */
export function errorLine(err: unknown): string {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
  if (err instanceof ApiStatusError) {
    return err.reason
      ? `Error from server (${err.reason}): ${oneLine(err.message)}`
      : `Error from server: ${oneLine(err.message)}`;
  }
  const errno = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (errno?.code === 'ECONNREFUSED') {
    const where = errno.address ? `${errno.address}${errno.port ? `:${errno.port}` : ''}` : 'the API server';
    return `The connection to the server ${where} was refused - did you specify the right host or port?`;
  }
  if (err instanceof Error) return `error: ${oneLine(err.message)}`;
  return `error: ${oneLine(String(err))}`;
}

function waitForStdout(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

/**
 * Runs a verb to its end: prints its error as one line and exits 1, or exits 0 once stdout is
 * written (kept-alive connections must not hold the process).
 */
export async function runVerb(body: () => Promise<void>): Promise<never> {
  let code = 0;
  try {
    await body();
  } catch (err) {
    process.stderr.write(`${errorLine(err)}\n`);
    code = 1;
  }
  await waitForStdout();
  process.exit(code);
}

export interface ParsedVerbArgs<T> {
  values: T;
  positionals: string[];
}

/** `parseArgs` with kubectl's wording for bad flags; `--help` prints the usage and ends the command. */
export function parseVerbArgs<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
): ParsedVerbArgs<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values']> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const flag = /'([^']+)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown flag: ${flag ?? e.message}`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(`flag needs an argument or takes none: ${flag ?? e.message}`);
    throw new UsageError(e.message.split('\n')[0]);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return { values: parsed.values, positionals: parsed.positionals } as never;
}

/**
 * kubectl's boolean flags also take `--flag=true|false`, which `parseArgs` does not: rewrites them to
 * `--flag` and `--no-flag` (declare `no-<flag>` as a boolean option to read the second).
 */
export function normalizeBooleanFlags(argv: readonly string[], flags: readonly string[]): string[] {
  return argv.map((arg) => {
    const m = /^--([^=]+)=(true|false)$/.exec(arg);
    if (!m || !flags.includes(m[1])) return arg;
    return m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`;
  });
}

export function contextNamespace(kubeConfig: KubeConfig): string {
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return context?.namespace || 'default';
}

export interface VerbSession {
  kubeConfig: KubeConfig;
  client: ApiClient;
  http: KubeHttp;
  /** `-n`, else the context's namespace, else `default`. */
  namespace: string;
  /** Whether `-n` was given (apply refuses manifests of another namespace then). */
  namespaceExplicit: boolean;
  /** Discovery, fetched once per command. */
  resources(): Promise<ApiResource[]>;
  /** Command-line resource arguments resolved through discovery. */
  resolve(args: readonly string[]): Promise<ResolvedRequest[]>;
}

export function openSession(values: {
  kubeconfig?: string;
  context?: string;
  server?: string;
  namespace?: string;
}): VerbSession {
  const kubeConfig = loadClusterConfig(values.kubeconfig, values.server);
  if (values.context) {
    if (!kubeConfig.getContextObject(values.context))
      throw new UsageError(`context was not found for specified context: ${values.context}`);
    kubeConfig.setCurrentContext(values.context);
  }
  const http = new KubeHttp(kubeConfig);
  let discovered: Promise<ApiResource[]> | undefined;
  const resources = () => (discovered ??= discoverResources(http));
  return {
    kubeConfig,
    client: clientFor(kubeConfig, { userAgent: 'kubicle' }),
    http,
    namespace: values.namespace || contextNamespace(kubeConfig),
    namespaceExplicit: Boolean(values.namespace),
    resources,
    resolve: async (args) => resolveRequests(await resources(), args),
  };
}

/** Sleeps `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Go-style durations as kubectl flags take them: `30s`, `5m`, `1h30m`, `500ms`; a bare number is seconds. */
export function parseDuration(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m)
      throw new UsageError(`invalid argument "${text}" for "${flag}" flag: time: invalid duration "${text}"`);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}
