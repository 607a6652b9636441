/**
 * The host's resolver settings, which is where the cluster DNS forwards names outside the cluster.
 *
 * Contract:
 * - `parseResolvConf` reads `nameserver`, `search` and `options ndots:N` as glibc does: comments
 *   start with `#` or `;`, the last `search` line wins, at most three nameservers count.
 * - `upstreamServers` turns nameserver entries or `host[:port]` strings into addresses, dropping
 *   IPv6 ones and any that is the cluster DNS itself (forwarding to ourselves would loop).
 */

export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly ndots: number;
}

export interface UpstreamServer {
  readonly address: string;
  readonly port: number;
}

const MAX_NAMESERVERS = 3;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  let ndots = 1;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0] && nameservers.length < MAX_NAMESERVERS) {
      nameservers.push(values[0]);
    } else if (keyword === 'search' || keyword === 'domain') {
      search = values.filter(Boolean);
    } else if (keyword === 'options') {
      for (const option of values) {
        const match = /^ndots:(\d+)$/.exec(option);
        if (match) ndots = Math.min(15, Number(match[1]));
      }
    }
  }
  return { nameservers, search, ndots };
}

/** `1.2.3.4`, `1.2.3.4:5353` → addresses; `exclude` lists `address:port` strings never to use. */
export function upstreamServers(
  entries: readonly string[],
  exclude: readonly string[] = [],
): UpstreamServer[] {
  const excluded = new Set(exclude);
  const servers: UpstreamServer[] = [];
  for (const entry of entries) {
    const match = /^([\d.]+)(?::(\d+))?$/.exec(entry.trim());
    if (!match || !IPV4.test(match[1])) continue;
    const port = match[2] !== undefined ? Number(match[2]) : 53;
    if (port < 1 || port > 65535 || excluded.has(`${match[1]}:${port}`)) continue;
    servers.push({ address: match[1], port });
  }
  return servers;
}
