/**
 * The built `kubicle` command as a user runs it: `up` starts etcd and the API server, writes a
 * kubeconfig that kubectl and client-node accept, stops cleanly on SIGINT/SIGTERM, and a second `up`
 * on the same data dir finds every object again. An agent joins with the join token and from then
 * on uses node certificates of its own; no token lies in clear in the data dir but the operator's
 * copies. `server` runs against existing etcd; `--plain-http` is for loopback only.
 */
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate, randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { Etcd3 } from 'etcd3';
import { kubeconfigToken } from '../cli/kubeconfig.js';
import { freePort, freePortPair } from './support/free-port.js';
import { runKubicle } from './support/kubicle-process.js';
import type { KubicleProcess } from './support/kubicle-process.js';
import { kubectl, kubectlBinaries } from './support/kubectl.js';
import { testEtcdUrl } from './support/test-etcd.js';
import { waitFor } from './support/wait-for.js';

const run = runKubicle;
type Running = KubicleProcess;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const kubectlPath = kubectlBinaries([])[0]?.path;

/** A GET that trusts only `ca`, so it also proves the server's certificate chains to it. */
function httpsGet(url: string, ca: string, bearer?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = bearer ? { Authorization: `Bearer ${bearer}` } : {};
    https
      .get(url, { ca, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}
/** Every file under `root` whose bytes contain `needle`, relative to `root`. */
function filesContaining(root: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && fs.readFileSync(full).includes(needle))
        found.push(path.relative(root, full));
    }
  };
  walk(root);
  return found.sort();
}

let dir: string;
const running: Running[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-cli-'));
});
afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('kubicle up', () => {
  it('serves a cluster, stops cleanly on a signal, and finds its objects after a restart', async () => {
    const dataDir = path.join(dir, 'data');
    const [port, etcdPort] = [await freePort(), await freePortPair()];
    // Only the control plane: the host components are exercised by the journey suite, which alone
    // may program this host's iptables.
    const args = [
      'up',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--etcd-port',
      String(etcdPort),
      '--disable',
      'kubelet,proxy,dns',
    ];

    const first = run(args);
    running.push(first);
    await waitFor(() => /Kubicle is ready/.test(first.output()), {
      timeoutMs: 30_000,
      what: 'the ready line',
    });
    const kubeconfig = path.join(dataDir, 'kubeconfig');
    expect(first.output()).toContain(kubeconfig);

    // The server speaks TLS with a certificate of the cluster's CA, and only clients with the
    // admin token (in the kubeconfig) get in; health and version are open to all, as upstream.
    const token = kubeconfigToken(fs.readFileSync(kubeconfig, 'utf8'))!;
    expect(token).toMatch(/^kubicle-[0-9a-f]{48}$/);
    expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dataDir, 'token'))).toBe(false);
    const ca = fs.readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
    expect(first.output()).toContain(`kubicle agent --server https://127.0.0.1:${port} --token`);
    const get = (urlPath: string, bearer?: string) =>
      httpsGet(`https://127.0.0.1:${port}${urlPath}`, ca, bearer);
    const anonymous = await get('/api/v1/namespaces');
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await get('/api/v1/namespaces', `${token}x`)).status).toBe(401);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/version')).status).toBe(200);
    expect((await get('/api/v1/namespaces', token)).status).toBe(200);

    // client-node accepts the kubeconfig as written (plain HTTP needs insecure-skip-tls-verify).
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'kept' }, data: { a: '1' } },
    });
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system']),
    );

    // Another host joins with the printed command: --server and the join token, which names the
    // cluster CA and carries a secret of its own, good for nothing but node credentials; a token
    // naming another CA, or a wrong secret, is refused at once.
    const server = `https://127.0.0.1:${port}`;
    const joinToken = fs.readFileSync(path.join(dataDir, 'join-token'), 'utf8').trim();
    const joinSecret = joinToken.replace(/^.*::/, '');
    expect(joinToken).toMatch(/^K10[0-9a-f]{64}::kubicle-[0-9a-f]{48}$/);
    expect(joinSecret).not.toBe(token);
    expect(fs.statSync(path.join(dataDir, 'join-token')).mode & 0o777).toBe(0o600);
    expect(first.output()).toContain(`--token $(cat ${path.join(dataDir, 'join-token')})`);
    expect((await get('/api/v1/namespaces', joinSecret)).status).toBe(403);

    // Neither secret lies in clear in the data dir but in the operator's copies.
    expect(filesContaining(dataDir, token)).toEqual(['kubeconfig']);
    expect(filesContaining(dataDir, joinSecret)).toEqual(['join-token']);

    const agentDir = path.join(dir, 'agent');
    const agentArgs = [
      'agent',
      '--server',
      server,
      // A real kubelet, so the Node authorizer decides everything it does; no pods, no proxy.
      '--proxy-mode',
      'none',
      '--port',
      '0',
      '--node-name',
      'joined-0',
      '--data-dir',
      agentDir,
    ];
    const wrongSecret = run([...agentArgs, '--token', joinToken.replace(/::.*$/, '::not-the-token')]);
    const wrongCa = run([...agentArgs, '--token', `K10${'0'.repeat(64)}::${joinSecret}`]);
    running.push(wrongSecret, wrongCa);
    expect(await wrongSecret.exited).not.toBe(0);
    expect(wrongSecret.output()).toMatch(/refused the join token \(401 Unauthorized\)/);
    expect(await wrongCa.exited).not.toBe(0);
    expect(wrongCa.output()).toMatch(/refusing to join .*is not the one the token names/);
    expect(fs.existsSync(path.join(agentDir, 'pki'))).toBe(false);
    const agent = run([...agentArgs, '--token', joinToken]);
    running.push(agent);
    const joined = await waitFor(() => core.readNode({ name: 'joined-0' }).catch(() => undefined), {
      timeoutMs: 30_000,
      what: 'the joined node',
    });
    expect(joined.metadata?.name).toBe('joined-0');
    // Its status and Lease writes pass the Node authorizer: it turns Ready and keeps its Lease.
    await waitFor(
      async () => {
        const node = await core.readNode({ name: 'joined-0' });
        return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      { timeoutMs: 30_000, what: 'node joined-0 Ready' },
    );
    const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = await coordination.readNamespacedLease({ name: 'joined-0', namespace: 'kube-node-lease' });
    expect(lease.spec?.holderIdentity).toBe('joined-0');
    expect(agent.output()).toContain(
      `node credentials of system:node:joined-0 stored in ${path.join(agentDir, 'pki')}`,
    );
    const agentPki = path.join(agentDir, 'pki');
    for (const file of [
      'kubelet-client.crt',
      'kubelet-client.key',
      'kube-proxy-client.crt',
      'kube-proxy-client.key',
      'ca.crt',
    ])
      expect({ file, mode: fs.statSync(path.join(agentPki, file)).mode & 0o777 }).toEqual({
        file,
        mode: 0o600,
      });
    expect(new X509Certificate(fs.readFileSync(path.join(agentPki, 'kubelet-client.crt'))).subject).toBe(
      'O=system:nodes\nCN=system:node:joined-0',
    );
    // The agent holds no token: only its certificates, which the API server maps to the node.
    expect(filesContaining(agentDir, joinSecret)).toEqual([]);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    // Restarted, it keeps its certificates.
    const again = run([...agentArgs, '--token', joinToken]);
    running.push(again);
    await waitFor(() => /Kubicle agent: kubelet of node joined-0 .* started/.test(again.output()), {
      what: 'the agent restart',
    });
    expect(again.output()).toContain(`node credentials of system:node:joined-0 reused from ${agentPki}`);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    if (kubectlPath) {
      const result = await kubectl(kubectlPath, ['get', 'configmap', 'kept', '-o', 'name'], {
        kubeconfig,
        cacheDir: path.join(dir, 'cache'),
      });
      expect(result).toMatchObject({ code: 0, stdout: 'configmap/kept\n' });
    }

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await portOpen(port)).toBe(false);
    expect(await portOpen(etcdPort)).toBe(false); // etcd stopped with its parent

    const second = run(args);
    running.push(second);
    await waitFor(() => /Kubicle is ready/.test(second.output()), {
      timeoutMs: 30_000,
      what: 'the ready line after restart',
    });
    const kept = await core.readNamespacedConfigMap({ name: 'kept', namespace: 'default' });
    expect(kept.data).toEqual({ a: '1' });
    const services = await core.listNamespacedService({ namespace: 'default' });
    expect(services.items.filter((s) => s.metadata?.name === 'kubernetes')).toHaveLength(1);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(await portOpen(etcdPort)).toBe(false);
  });

  it('says clearly when its port is taken', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const up = run([
      'up',
      '--data-dir',
      path.join(dir, 'busy'),
      '--port',
      String(port),
      '--etcd-port',
      String(await freePortPair()),
      '--disable',
      'kubelet,proxy,dns',
    ]);
    running.push(up);
    expect(await up.exited).toBe(1);
    expect(up.output()).toContain(`port ${port} is already in use`);
    blocker.close();
  });

  it('serves plain HTTP without authentication on loopback only, when asked', async () => {
    const refused = run([
      'up',
      '--plain-http',
      '--bind-address',
      '0.0.0.0',
      '--data-dir',
      path.join(dir, 'open'),
    ]);
    running.push(refused);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain(
      '--plain-http serves the API without authentication, so it listens on 127.0.0.1 only',
    );

    const dataDir = path.join(dir, 'plain');
    const port = await freePort();
    const up = run([
      'up',
      '--plain-http',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--etcd-servers',
      testEtcdUrl(),
      '--etcd-prefix',
      `/kubicle-cli-plain-${randomBytes(4).toString('hex')}/registry`,
      '--disable',
      'controllers,scheduler,kubelet,proxy,dns',
    ]);
    running.push(up);
    await waitFor(() => /Kubicle is ready/.test(up.output()), { timeoutMs: 30_000, what: 'the ready line' });
    const reply = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces`);
    expect(reply.status).toBe(200);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(path.join(dataDir, 'kubeconfig'));
    expect(kc.getCurrentCluster()).toMatchObject({ server: `http://127.0.0.1:${port}`, skipTLSVerify: true });
    expect(kc.getCurrentUser()?.token).toBeUndefined();
    expect(fs.existsSync(path.join(dataDir, 'join-token'))).toBe(false);
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
  });
});

describe('kubicle server', () => {
  it('serves the API from existing etcd servers', async () => {
    const prefix = `/kubicle-cli-test-${randomBytes(4).toString('hex')}/registry`;
    const port = await freePort();
    const kubeconfig = path.join(dir, 'server-kubeconfig');
    const serverDir = path.join(dir, 'server-data');
    const server = run([
      'server',
      '--data-dir',
      serverDir,
      '--etcd-servers',
      testEtcdUrl(),
      '--port',
      String(port),
      '--etcd-prefix',
      prefix,
      '--kubeconfig',
      kubeconfig,
    ]);
    running.push(server);
    await waitFor(() => /API server is ready/.test(server.output()), {
      timeoutMs: 30_000,
      what: 'the ready line',
    });
    expect(fs.readFileSync(path.join(serverDir, 'join-token'), 'utf8')).toMatch(/^K10[0-9a-f]{64}::kubicle-/);
    expect(server.output()).toContain(`--token $(cat ${path.join(serverDir, 'join-token')})`);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'busybox' }] },
          },
        },
      },
    });
    // The scheduler's own kubeconfig names it, and RBAC gives it a scheduler's rights only.
    const schedulerConfig = path.join(serverDir, 'scheduler.kubeconfig');
    expect(fs.statSync(schedulerConfig).mode & 0o777).toBe(0o600);
    expect(server.output()).toContain(`kubicle scheduler --kubeconfig ${schedulerConfig}`);
    const asScheduler = new k8s.KubeConfig();
    asScheduler.loadFromFile(schedulerConfig);
    const reviews = asScheduler.makeApiClient(k8s.AuthorizationV1Api);
    const can = async (verb: string, resource: string, subresource?: string) =>
      (
        await reviews.createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { verb, resource, subresource, namespace: 'default' } } },
        })
      ).status?.allowed;
    expect(await can('create', 'pods', 'binding')).toBe(true);
    expect(await can('create', 'secrets')).toBe(false);
    const client = new Etcd3({ hosts: [testEtcdUrl()] });
    try {
      expect(await client.get(`${prefix}/deployments/default/web`).exists()).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await client.delete().prefix(prefix.replace(/registry$/, ''));
      client.close();
    }
  });

  it('refuses to start without --etcd-servers', async () => {
    const server = run(['server']);
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('--etcd-servers is required');
  });
});
