/**
 * A small DNS server over UDP and TCP on one address and port: names the `lookup` function claims are
 * answered from it, the rest is relayed to upstream servers. Packets are encoded and decoded by the
 * dns-packet library; this module only moves them.
 *
 * Contract:
 * - One question per query (what every stub resolver sends); anything else is FORMERR, an opcode
 *   other than QUERY is NOTIMP, an undecodable packet is dropped.
 * - Local answers are authoritative (AA), echo the question and the RD bit, set RA, and answer EDNS
 *   with EDNS. A UDP answer larger than the client accepts (512 bytes, or its EDNS size) is sent
 *   truncated (TC, no records) so the client retries over TCP.
 * - Forwarded queries are relayed byte for byte over the transport they came in on, trying each
 *   upstream in turn with a timeout; when none answers the client gets SERVFAIL. An `alias` lookup
 *   (ExternalName) is completed by resolving the target, locally when it is in the zone, otherwise
 *   upstream, and appending the answers after the CNAME.
 * - TCP connections may carry several queries; answers are written as they are ready.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import type { DnsLookup, DnsRcode, DnsRecord } from './cluster-dns-zone.js';
import type { UpstreamServer } from './resolv-conf.js';

export interface DnsServerOptions {
  /** Address and port to listen on; port 0 picks a free port (the same for UDP and TCP). */
  readonly listen: { readonly address: string; readonly port: number };
  readonly lookup: (name: string, type: string) => DnsLookup;
  /** Read on every forwarded query, so the list can change while running. */
  readonly upstream: () => readonly UpstreamServer[];
  readonly upstreamTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface RunningDnsServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

type Transport = 'udp' | 'tcp';

const RCODES: Record<DnsRcode | 'FORMERR' | 'NOTIMP', number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
};
const CLASSIC_UDP_LIMIT = 512;
const OUR_EDNS_UDP_SIZE = 1232;
const MAX_ALIAS_DEPTH = 8;
const TCP_IDLE_MS = 10_000;

export async function startDnsServer(options: DnsServerOptions): Promise<RunningDnsServer> {
  const log = options.log ?? ((line: string) => console.error(line));
  const handler = new QueryHandler(options, log);
  const udp = dgram.createSocket('udp4');
  udp.on('message', (message, remote) => {
    void handler.answer(message, 'udp').then(
      (reply) => reply && udp.send(reply, remote.port, remote.address),
      (err: unknown) => log(`dns: query from ${remote.address} failed: ${String(err)}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address: options.listen.address, port: options.listen.port, exclusive: true }, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  udp.on('error', (err) => log(`dns: UDP socket error: ${err.message}`));
  const port = udp.address().port;

  const connections = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    serveTcpConnection(socket, handler, log);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: options.listen.address, port }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    udp.close();
    throw err;
  }
  return {
    address: options.listen.address,
    port,
    async close() {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

function serveTcpConnection(socket: net.Socket, handler: QueryHandler, log: (line: string) => void): void {
  let buffered = Buffer.alloc(0);
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) break;
      const query = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      void handler.answer(query, 'tcp').then(
        (reply) => {
          if (!reply || socket.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([prefix, reply]));
        },
        (err: unknown) => log(`dns: TCP query failed: ${String(err)}`),
      );
    }
  });
}

class QueryHandler {
  private readonly timeoutMs: number;

  constructor(
    private readonly options: DnsServerOptions,
    private readonly log: (line: string) => void,
  ) {
    this.timeoutMs = options.upstreamTimeoutMs ?? 2000;
  }

  /** The reply to one query message, or undefined when nothing should be sent back. */
  async answer(message: Buffer, transport: Transport): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    if (query.type !== 'query') return undefined;
    if (query.opcode !== 'QUERY') return this.reply(query, transport, { rcode: RCODES.NOTIMP });
    if (query.questions.length !== 1) return this.reply(query, transport, { rcode: RCODES.FORMERR });
    const question = query.questions[0];
    if (question.class !== undefined && question.class !== 'IN') return this.relay(message, query, transport);

    const lookup = this.options.lookup(question.name, question.type);
    if (lookup.kind === 'forward') return this.relay(message, query, transport);
    if (lookup.kind === 'answer') {
      return this.reply(query, transport, {
        rcode: RCODES[lookup.rcode],
        authoritative: true,
        answers: lookup.answers.map(toAnswer),
        authorities: lookup.authorities.map(toAnswer),
        additionals: lookup.additionals.map(toAnswer),
      });
    }
    const resolved = await this.resolveAlias(lookup, question.type, transport, 0);
    return this.reply(query, transport, { ...resolved, authoritative: true });
  }

  /** Follows CNAMEs of ExternalName services to the addresses they name. */
  private async resolveAlias(
    alias: Extract<DnsLookup, { kind: 'alias' }>,
    type: string,
    transport: Transport,
    depth: number,
  ): Promise<{ rcode: number; answers: Answer[]; authorities?: Answer[] }> {
    const cnames = alias.answers.map(toAnswer);
    if (depth >= MAX_ALIAS_DEPTH) return { rcode: RCODES.SERVFAIL, answers: cnames };
    const next = this.options.lookup(alias.target, type);
    if (next.kind === 'alias') {
      const deeper = await this.resolveAlias(next, type, transport, depth + 1);
      return { ...deeper, answers: [...cnames, ...deeper.answers] };
    }
    if (next.kind === 'answer') {
      return {
        rcode: RCODES[next.rcode],
        answers: [...cnames, ...next.answers.map(toAnswer)],
        authorities: next.authorities.map(toAnswer),
      };
    }
    const query = dnsPacket.encode({
      type: 'query',
      id: randomInt(0, 65536),
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: alias.target, type, class: 'IN' }],
    });
    const reply = await this.forward(query, transport);
    if (!reply) return { rcode: RCODES.SERVFAIL, answers: cnames };
    try {
      const decoded = dnsPacket.decode(reply);
      return { rcode: rcodeNumber(decoded.flags), answers: [...cnames, ...decoded.answers] };
    } catch {
      return { rcode: RCODES.SERVFAIL, answers: cnames };
    }
  }

  private async relay(message: Buffer, query: DecodedPacket, transport: Transport): Promise<Buffer> {
    const reply = await this.forward(message, transport);
    return reply ?? this.reply(query, transport, { rcode: RCODES.SERVFAIL });
  }

  /** The first upstream answer with the query's id, or undefined when none came in time. */
  private async forward(message: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const servers = this.options.upstream();
    if (servers.length === 0) {
      this.log('dns: no upstream nameserver to forward to');
      return undefined;
    }
    for (const server of servers) {
      try {
        const reply =
          transport === 'udp'
            ? await queryUdp(server, message, this.timeoutMs)
            : await queryTcp(server, message, this.timeoutMs);
        if (reply) return reply;
      } catch (err) {
        this.log(`dns: upstream ${server.address}:${server.port} failed: ${String(err)}`);
      }
    }
    return undefined;
  }

  private reply(
    query: DecodedPacket,
    transport: Transport,
    parts: {
      rcode: number;
      authoritative?: boolean;
      answers?: Answer[];
      authorities?: Answer[];
      additionals?: Answer[];
    },
  ): Buffer {
    const edns = query.additionals.find((record) => record.type === 'OPT');
    const flags =
      (query.flags & dnsPacket.RECURSION_DESIRED) |
      dnsPacket.RECURSION_AVAILABLE |
      (parts.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
      parts.rcode;
    const opt: Answer[] = edns ? [{ name: '.', type: 'OPT', udpPayloadSize: OUR_EDNS_UDP_SIZE }] : [];
    const packet: Packet = {
      type: 'response',
      id: query.id,
      flags,
      questions: query.questions,
      answers: parts.answers ?? [],
      authorities: parts.authorities ?? [],
      additionals: [...(parts.additionals ?? []), ...opt],
    };
    const encoded = dnsPacket.encode(packet);
    const limit = edns
      ? Math.max(CLASSIC_UDP_LIMIT, Math.min(edns.udpPayloadSize ?? 0, 4096))
      : CLASSIC_UDP_LIMIT;
    if (transport === 'tcp' || encoded.length <= limit) return encoded;
    return dnsPacket.encode({
      ...packet,
      flags: flags | dnsPacket.TRUNCATED_RESPONSE,
      answers: [],
      authorities: [],
      additionals: opt,
    });
  }
}

function toAnswer(record: DnsRecord): Answer {
  // dns-packet converts TXT strings to Buffers in place: hand it a copy, never the zone's own array.
  const data = record.type === 'TXT' ? [...record.data] : record.data;
  return { name: record.name, type: record.type, class: 'IN', ttl: record.ttl, data };
}

function rcodeNumber(flags: number): number {
  return flags & 0xf;
}

function queryUdp(server: UpstreamServer, message: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    let done = false;
    const finish = (reply: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('message', (reply, from) => {
      // Only the server asked, and only the answer to this query: anything else is spoofing or stale.
      if (from.address !== server.address || from.port !== server.port) return;
      if (reply.length < 12 || reply.readUInt16BE(0) !== message.readUInt16BE(0)) return;
      finish(reply);
    });
    socket.send(message, server.port, server.address);
  });
}

function queryTcp(server: UpstreamServer, message: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.address, port: server.port });
    let buffered = Buffer.alloc(0);
    const finish = (reply: Buffer | undefined) => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => finish(undefined));
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length >= 2 + length) finish(buffered.subarray(2, 2 + length));
    });
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(message.length);
    socket.write(Buffer.concat([prefix, message]));
  });
}
