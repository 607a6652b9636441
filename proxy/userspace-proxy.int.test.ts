/**
 * The userspace proxy with real sockets on loopback: backends are local TCP and UDP servers that
 * answer with their name, "NodePorts" are free ports on 127.0.0.1, and clients pick their source
 * address within 127.0.0.0/8 to look like different hosts for ClientIP affinity.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { freePort } from '../e2e/support/free-port.js';
import type { ProxySnapshot } from './proxier.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';
import { UserspaceProxy } from './userspace-proxy.js';

interface Backends {
  readonly ports: number[];
  close(): Promise<void>;
}

async function tcpBackends(names: string[]): Promise<Backends> {
  const servers = await Promise.all(
    names.map(
      (name) =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer((socket) => {
            socket.on('error', () => undefined);
            socket.end(`${name}\n`);
          });
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    close: async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

async function udpBackends(names: string[]): Promise<Backends> {
  const sockets = await Promise.all(
    names.map(
      (name) =>
        new Promise<dgram.Socket>((resolve) => {
          const socket = dgram.createSocket('udp4');
          socket.on('message', (_, from) => socket.send(`${name}\n`, from.port, from.address));
          socket.bind(0, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
  return {
    ports: sockets.map((s) => s.address().port),
    close: async () => {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

function tcpRequest(port: number, localAddress = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve('error TIMEOUT');
    });
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data.trim()));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code}`));
  });
}

function udpRequest(port: number): Promise<{ answer: string; fromPort: number }> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve({ answer: 'error TIMEOUT', fromPort: 0 });
    }, 2000);
    socket.on('message', (message, from) => {
      clearTimeout(timer);
      socket.close();
      resolve({ answer: String(message).trim(), fromPort: from.port });
    });
    socket.send('?', port, '127.0.0.1');
  });
}

async function many<T>(count: number, request: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await request());
  return results;
}

function service(name: string, spec: NonNullable<ServiceInput['spec']>): ServiceInput {
  return { metadata: { namespace: 'default', name }, spec };
}

/** One subset per backend, since each listens on its own port of 127.0.0.1. */
function endpointsOf(name: string, portName: string, ports: number[], protocol = 'TCP'): EndpointsInput {
  return {
    metadata: { namespace: 'default', name },
    subsets: ports.map((port) => ({
      addresses: [{ ip: '127.0.0.1' }],
      ports: [{ name: portName, port, protocol }],
    })),
  };
}

describe('UserspaceProxy on loopback', () => {
  let tcp: Backends;
  let udp: Backends;
  let deadPort: number;
  const nodePorts: Record<string, number> = {};
  const proxies: UserspaceProxy[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    tcp = await tcpBackends(['pod0', 'pod1', 'pod2']);
    udp = await udpBackends(['udp0', 'udp1', 'udp2']);
    deadPort = await freePort();
    for (const name of ['web', 'sticky', 'dns', 'empty', 'flaky', 'taken'])
      nodePorts[name] = await freePort();
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await tcp.close();
    await udp.close();
  });

  function snapshot(webPorts = tcp.ports): ProxySnapshot {
    return {
      services: [
        service('web', {
          type: 'NodePort',
          clusterIP: '10.96.0.20',
          ports: [{ name: 'http', port: 80, nodePort: nodePorts.web }],
        }),
        service('sticky', {
          type: 'NodePort',
          clusterIP: '10.96.0.21',
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
          ports: [{ name: 'http', port: 80, nodePort: nodePorts.sticky }],
        }),
        service('dns', {
          type: 'NodePort',
          clusterIP: '10.96.0.22',
          ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: nodePorts.dns }],
        }),
        service('empty', {
          type: 'NodePort',
          clusterIP: '10.96.0.23',
          ports: [{ port: 80, nodePort: nodePorts.empty }],
        }),
        service('flaky', {
          type: 'NodePort',
          clusterIP: '10.96.0.24',
          ports: [{ name: 'http', port: 80, nodePort: nodePorts.flaky }],
        }),
      ],
      endpoints: [
        endpointsOf('web', 'http', webPorts),
        endpointsOf('sticky', 'http', tcp.ports),
        endpointsOf('dns', 'dns', udp.ports, 'UDP'),
        { metadata: { namespace: 'default', name: 'empty' }, subsets: [] },
        // One endpoint of three refuses connections: clients must never notice.
        endpointsOf('flaky', 'http', [deadPort, ...tcp.ports.slice(0, 2)]),
      ],
      nodeIPs: [],
    };
  }

  function newProxy(balancing: 'random' | 'round-robin' = 'random'): UserspaceProxy {
    const proxy = new UserspaceProxy({
      listenAddresses: ['127.0.0.1'],
      localAddresses: ['127.0.0.1'],
      balancing,
      log: (line) => logs.push(line),
    });
    proxies.push(proxy);
    return proxy;
  }

  it('listens on each NodePort with endpoints, and on nothing else', async () => {
    const result = await newProxy().sync(snapshot());
    expect(result.failed).toEqual([]);
    expect(result.listening).toEqual(
      [
        `tcp 127.0.0.1:${nodePorts.web}`,
        `tcp 127.0.0.1:${nodePorts.sticky}`,
        `udp 127.0.0.1:${nodePorts.dns}`,
        `tcp 127.0.0.1:${nodePorts.flaky}`,
      ].sort(),
    );
    await proxies.pop()!.close();
  });

  describe('with random balancing', () => {
    let proxy: UserspaceProxy;
    beforeAll(async () => {
      proxy = newProxy('random');
      await proxy.sync(snapshot());
    });
    afterAll(() => proxy.close());

    it('forwards TCP to every backend over many connections', async () => {
      const results = await many(60, () => tcpRequest(nodePorts.web));
      expect(new Set(results)).toEqual(new Set(['pod0', 'pod1', 'pod2']));
    });

    it('forwards UDP and answers from the port the client sent to', async () => {
      const results = await many(40, () => udpRequest(nodePorts.dns));
      expect(new Set(results.map((r) => r.answer))).toEqual(new Set(['udp0', 'udp1', 'udp2']));
      expect(new Set(results.map((r) => r.fromPort))).toEqual(new Set([nodePorts.dns]));
    });

    it('keeps each client address on one backend with ClientIP affinity', async () => {
      for (const client of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
        const results = await many(15, () => tcpRequest(nodePorts.sticky, client));
        expect(results[0]).toMatch(/^pod\d$/);
        expect(new Set(results)).toEqual(new Set([results[0]]));
      }
    });

    it('refuses a service without endpoints at once', async () => {
      const started = Date.now();
      expect(await tcpRequest(nodePorts.empty)).toBe('error ECONNREFUSED');
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('moves on to another endpoint when one refuses the connection', async () => {
      const results = await many(30, () => tcpRequest(nodePorts.flaky));
      expect(new Set(results)).toEqual(new Set(['pod0', 'pod1']));
    });

    it('takes a removed endpoint out of rotation at the next sync', async () => {
      await proxy.sync(snapshot([tcp.ports[1]]));
      expect(new Set(await many(20, () => tcpRequest(nodePorts.web)))).toEqual(new Set(['pod1']));
      await proxy.sync(snapshot());
    });

    it('closes the NodePort when the last endpoint goes, and opens it again when one comes back', async () => {
      await proxy.sync(snapshot([]));
      expect(await tcpRequest(nodePorts.web)).toBe('error ECONNREFUSED');
      await proxy.sync(snapshot());
      expect(await tcpRequest(nodePorts.web)).toMatch(/^pod\d$/);
    });
  });

  it('cycles through endpoints in address order with round-robin balancing', async () => {
    const proxy = newProxy('round-robin');
    await proxy.sync(snapshot());
    const results = await many(6, () => tcpRequest(nodePorts.web));
    const order = tcp.ports
      .map((port, i) => ({ port, name: `pod${i}` }))
      .sort((a, b) => a.port - b.port)
      .map((b) => b.name);
    expect(results).toEqual([...order, ...order]);
    await proxies.pop()!.close();
  });

  it('reports a port it cannot bind, serves the others, and binds it once it is free', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(nodePorts.taken, '127.0.0.1', resolve));
    const proxy = newProxy();
    const withTaken = (): ProxySnapshot => {
      const base = snapshot();
      return {
        ...base,
        services: [
          ...base.services,
          service('taken', {
            type: 'NodePort',
            clusterIP: '10.96.0.25',
            ports: [{ name: 'http', port: 80, nodePort: nodePorts.taken }],
          }),
        ],
        endpoints: [...base.endpoints, endpointsOf('taken', 'http', tcp.ports)],
      };
    };
    const first = await proxy.sync(withTaken());
    expect(first.failed).toEqual([
      { id: `tcp 127.0.0.1:${nodePorts.taken}`, error: expect.stringContaining('EADDRINUSE') },
    ]);
    expect(await tcpRequest(nodePorts.web)).toMatch(/^pod\d$/);
    expect(logs.filter((l) => l.includes(`${nodePorts.taken}`))).toHaveLength(1);
    await new Promise((resolve) => squatter.close(resolve));
    const second = await proxy.sync(withTaken());
    expect(second.failed).toEqual([]);
    expect(await tcpRequest(nodePorts.taken)).toMatch(/^pod\d$/);
    await proxies.pop()!.close();
  });

  it('closes its sockets on close', async () => {
    const proxy = newProxy();
    await proxy.sync(snapshot());
    await proxy.close();
    expect(await tcpRequest(nodePorts.web)).toBe('error ECONNREFUSED');
  });
});
