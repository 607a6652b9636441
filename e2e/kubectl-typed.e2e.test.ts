/**
 * kubectl commands built on client-go's typed clients, which send their bodies as Kubernetes protobuf
 * (`create deployment`, `create secret`, drain's deletes, ...), against a real API server: the objects
 * stored must be what the same command stores on Kubernetes. `run` and `expose` go through the same
 * server paths and are checked alongside.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startTestApiServer } from './support/test-api-server.js';
import type { TestApiServer } from './support/test-api-server.js';
import { kubectl, kubectlBinaries, succeeded } from './support/kubectl.js';

// kubectl sends these bodies as protobuf from 1.32 on (the default binary here) and as JSON before.
const binaries = kubectlBinaries(['1.33']);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: TestApiServer;

beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => {
  await api.close();
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const PROTOBUF_REQUEST = /Content-Type: application\/vnd\.kubernetes\.protobuf/;

describe.each(binaries)('$name', ({ name, path: binary }) => {
  const slug = name.replace(/[^a-z0-9]+/g, '-');
  const ns = `typed-${slug}`;
  let cacheDir: string;

  const run = (args: string[], stdin?: string) =>
    kubectl(binary, ['-n', ns, ...args], { kubeconfig: api.kubeconfig, cacheDir, stdin });
  const getJson = async (...args: string[]): Promise<Json> =>
    JSON.parse(succeeded(await run(['get', ...args, '-o', 'json']))) as Json;
  /** Runs a command that must succeed, and checks at -v=8 that its body went out as protobuf. */
  const runTyped = async (args: string[]): Promise<string> => {
    const result = await run([...args, '-v=8']);
    const stdout = succeeded(result);
    expect(result.stderr).toMatch(PROTOBUF_REQUEST);
    return stdout;
  };

  beforeAll(async () => {
    cacheDir = fs.mkdtempSync(path.join(api.dir, `${slug}-cache-`));
    expect(await runTyped(['create', 'namespace', ns])).toBe(`namespace/${ns} created\n`);
  });

  it('create namespace: stores the namespace, with defaults and a server-set creationTimestamp', async () => {
    const created = await getJson('namespace', ns);
    expect(created.metadata.name).toBe(ns);
    expect(created.metadata.creationTimestamp).toMatch(RFC3339);
    expect(created.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': ns });
    expect(created.spec.finalizers).toEqual(['kubernetes']);
    expect(created.status.phase).toBe('Active');
  });

  it('create deployment: image, replicas, port, labels and selector arrive intact', async () => {
    expect(
      await runTyped(['create', 'deployment', 'web', '--image=busybox', '--replicas=2', '--port=80']),
    ).toBe('deployment.apps/web created\n');
    const web = await getJson('deployment', 'web');
    expect(web.metadata.labels).toEqual({ app: 'web' });
    expect(web.metadata.creationTimestamp).toMatch(RFC3339);
    expect(web.metadata.generation).toBe(1);
    expect(web.spec.replicas).toBe(2);
    expect(web.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(web.spec.template.metadata.labels).toEqual({ app: 'web' });
    const [container] = web.spec.template.spec.containers;
    expect(container.name).toBe('busybox');
    expect(container.image).toBe('busybox');
    expect(container.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    // Fields Go sends as empty values were left for defaulting, as with a JSON body.
    expect(container.imagePullPolicy).toBe('Always');
    expect(container.terminationMessagePolicy).toBe('File');
    expect(web.spec.strategy.type).toBe('RollingUpdate');
    expect(web.spec.template.spec.restartPolicy).toBe('Always');
    expect(web.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
  });

  it('create deployment --replicas=0: an explicit zero of a pointer field is kept, not defaulted', async () => {
    await runTyped(['create', 'deployment', 'idle', '--image=busybox', '--replicas=0']);
    expect((await getJson('deployment', 'idle')).spec.replicas).toBe(0);
  });

  it('create configmap: literal data', async () => {
    expect(
      await runTyped(['create', 'configmap', 'settings', '--from-literal=a=b', '--from-literal=empty=']),
    ).toBe('configmap/settings created\n');
    const settings = await getJson('configmap', 'settings');
    expect(settings.data).toEqual({ a: 'b', empty: '' });
    expect(settings.metadata.creationTimestamp).toMatch(RFC3339);
  });

  it('create secret generic: values arrive as bytes and read back base64-encoded', async () => {
    expect(
      await runTyped([
        'create',
        'secret',
        'generic',
        'creds',
        '--from-literal=user=admin',
        '--from-literal=password=p@ss wörd',
      ]),
    ).toBe('secret/creds created\n');
    const creds = await getJson('secret', 'creds');
    expect(creds.data).toEqual({
      user: Buffer.from('admin').toString('base64'),
      password: Buffer.from('p@ss wörd').toString('base64'),
    });
    expect(creds.type).toBe('Opaque');
  });

  it('create service clusterip: ports with a numeric target port, selector and an allocated IP', async () => {
    expect(await runTyped(['create', 'service', 'clusterip', 'backend', '--tcp=80:8080'])).toBe(
      'service/backend created\n',
    );
    const backend = await getJson('service', 'backend');
    expect(backend.spec.type).toBe('ClusterIP');
    expect(backend.spec.ports).toEqual([{ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' }]);
    expect(backend.spec.selector).toEqual({ app: 'backend' });
    expect(backend.metadata.labels).toEqual({ app: 'backend' });
    expect(backend.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('create serviceaccount', async () => {
    expect(await runTyped(['create', 'serviceaccount', 'robot'])).toBe('serviceaccount/robot created\n');
    const robot = await getJson('serviceaccount', 'robot');
    expect(robot.metadata.name).toBe('robot');
    expect(robot.metadata.namespace).toBe(ns);
    expect(robot.metadata.creationTimestamp).toMatch(RFC3339);
  });

  it('run: a pod with labels, env and a command', async () => {
    expect(
      succeeded(
        await run([
          'run',
          'sleeper',
          '--image=busybox',
          '--labels=app=sleeper,tier=tools',
          '--env=A=B',
          '--',
          'sleep',
          '10',
        ]),
      ),
    ).toBe('pod/sleeper created\n');
    const sleeper = await getJson('pod', 'sleeper');
    expect(sleeper.metadata.labels).toEqual({ app: 'sleeper', tier: 'tools' });
    const [container] = sleeper.spec.containers;
    expect(container.name).toBe('sleeper');
    expect(container.image).toBe('busybox');
    expect(container.env).toEqual([{ name: 'A', value: 'B' }]);
    expect(container.args).toEqual(['sleep', '10']);
    expect(sleeper.spec.restartPolicy).toBe('Always');
  });

  it('expose deployment: a service selecting the deployment with the target port', async () => {
    expect(succeeded(await run(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']))).toBe(
      'service/web exposed\n',
    );
    const service = await getJson('service', 'web');
    expect(service.spec.selector).toEqual({ app: 'web' });
    expect(service.spec.ports).toEqual([{ port: 80, targetPort: 8080, protocol: 'TCP' }]);
  });

  it('drain --disable-eviction: deletes with protobuf DeleteOptions and honours a zero grace period', async () => {
    const nodeName = `typed-node-${slug}`;
    const manifests = [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'drained', namespace: ns, labels: { app: 'drained' } },
        spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
      },
    ];
    succeeded(await run(['create', '-f', '-'], manifests.map((m) => stringify(m)).join('---\n')));
    const result = await run([
      'drain',
      nodeName,
      '--disable-eviction',
      '--force',
      '--grace-period=0',
      '--pod-selector=app=drained',
      '--timeout=30s',
      '-v=8',
    ]);
    expect(result.stdout).toContain(`node/${nodeName} drained`);
    expect(result.stderr).toMatch(PROTOBUF_REQUEST);
    const gone = await run(['get', 'pod', 'drained']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('NotFound');
    succeeded(await run(['delete', 'node', nodeName]));
  });
});
