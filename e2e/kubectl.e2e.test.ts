/**
 * The real kubectl binaries against a real API server: the default `/usr/bin/kubectl` (a dispatcher
 * that runs the kubectl matching the server's minor version), and the oldest and newest versioned
 * binaries that use OpenAPI v3. Each binary works in a namespace and cache dir of its own, so the
 * scenarios cannot see each other's objects or discovery cache.
 *
 * The tests of one binary build on each other in order (apply creates the Deployment that get,
 * describe, scale and patch use, and delete removes it last), as a user's session would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { kubectl, kubectlBinaries, spawnKubectl, succeeded } from './support/kubectl.js';
import { startTestApiServer } from './support/test-api-server.js';
import type { TestApiServer } from './support/test-api-server.js';
import { request } from './support/api-client.js';
import { waitFor } from './support/wait-for.js';

const binaries = kubectlBinaries(['1.29', '1.33']);

let api: TestApiServer;

beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => {
  await api?.close();
});

type Json = Record<string, unknown>;
interface DeploymentJson {
  metadata: { generation: number; labels: Record<string, string> };
  spec: {
    replicas: number;
    template: {
      spec: { containers: { name: string; image: string; env?: { name: string; value: string }[] }[] };
    };
  };
}

const yamlDocs = (...docs: unknown[]) => docs.map((d) => stringify(d)).join('---\n');

function appManifest(image: string, deploymentLabels: Record<string, string>): string {
  return yamlDocs(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: deploymentLabels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { greeting: 'hello' } },
  );
}

const pod = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
});

function nodeManifest(name: string): string {
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'node-role.kubernetes.io/worker': '' } },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: time,
          lastTransitionTime: time,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '10.20.30.40' },
        { type: 'Hostname', address: name },
      ],
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      nodeInfo: {
        machineID: 'm',
        systemUUID: 's',
        bootID: 'b',
        kernelVersion: '6.1.0-test',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'docker://24.0.7',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: 'v1.32.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  });
}

/** The stdout of a run that must have succeeded; a failure shows kubectl's own error message. */
describe.each(binaries)('$name', ({ name, path: binary }) => {
  const slug = name.replace(/[^a-z0-9]+/g, '-');
  const ns = `e2e-${slug}`;
  const nodeName = `node-${slug}`;
  // The dispatcher runs the kubectl matching the server's minor version, which Kubicle reports as 32.
  const expectedClientMinor = name === 'kubectl' ? '32' : name.split('.')[1];
  let workDir: string;
  let cacheDir: string;

  const run = (args: string[], opts: { stdin?: string } = {}) =>
    kubectl(binary, ['-n', ns, ...args], { kubeconfig: api.kubeconfig, cacheDir, stdin: opts.stdin });
  const getJson = async <T = Json>(...args: string[]): Promise<T> =>
    JSON.parse(succeeded(await run(['get', ...args, '-o', 'json']))) as T;
  const writeFile = (file: string, text: string) => {
    const full = path.join(workDir, file);
    fs.writeFileSync(full, text);
    return full;
  };

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(api.dir, `${slug}-`));
    cacheDir = path.join(workDir, 'cache');
    // Through the API rather than `kubectl create namespace`, which has a test of its own below.
    expect((await request(api.url, 'POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(
      201,
    );
    const pods = writeFile('pods.yaml', yamlDocs(pod('pod-x', { app: 'web' }), pod('pod-db', { app: 'db' })));
    expect(succeeded(await run(['apply', '-f', pods]))).toBe('pod/pod-x created\npod/pod-db created\n');
  });

  it('applies a multi-document file: created, then configured, then unchanged', async () => {
    const first = writeFile('app-v1.yaml', appManifest('busybox:1.36', { app: 'web' }));
    expect(succeeded(await run(['apply', '-f', first]))).toBe(
      'deployment.apps/web created\nservice/web created\nconfigmap/web-config created\n',
    );
    const created = await getJson<DeploymentJson>('deployment', 'web');
    expect(created.metadata.generation).toBe(1);

    const second = writeFile('app-v2.yaml', appManifest('busybox:1.37', { app: 'web', tier: 'backend' }));
    expect(succeeded(await run(['apply', '-f', second]))).toBe(
      'deployment.apps/web configured\nservice/web unchanged\nconfigmap/web-config unchanged\n',
    );
    const configured = await getJson<DeploymentJson>('deployment', 'web');
    expect(configured.spec.template.spec.containers[0].image).toBe('busybox:1.37');
    expect(configured.metadata.labels).toEqual({ app: 'web', tier: 'backend' });
    expect(configured.metadata.generation).toBe(2);

    expect(succeeded(await run(['apply', '-f', second]))).toBe(
      'deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/web-config unchanged\n',
    );
    expect((await getJson<DeploymentJson>('deployment', 'web')).metadata.generation).toBe(2);
  });

  it('applies server-side: creates a new object, then changes it', async () => {
    const manifest = (data: Record<string, string>) =>
      stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-cm' }, data });
    expect(succeeded(await run(['apply', '--server-side', '-f', '-'], { stdin: manifest({ a: '1' }) }))).toBe(
      'configmap/ssa-cm serverside-applied\n',
    );
    expect((await getJson<{ data: unknown }>('configmap', 'ssa-cm')).data).toEqual({ a: '1' });
    expect(
      succeeded(await run(['apply', '--server-side', '-f', '-'], { stdin: manifest({ a: '2', b: '3' }) })),
    ).toBe('configmap/ssa-cm serverside-applied\n');
    expect((await getJson<{ data: unknown }>('configmap', 'ssa-cm')).data).toEqual({ a: '2', b: '3' });
  });

  it('creates from a file and refuses to create the same object twice', async () => {
    const file = writeFile(
      'created.yaml',
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'created-cm' },
        data: { k: 'v' },
      }),
    );
    expect(succeeded(await run(['create', '-f', file]))).toBe('configmap/created-cm created\n');
    const again = await run(['create', '-f', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `Error from server (AlreadyExists): error when creating "${file}": configmaps "created-cm" already exists`,
    );
  });

  // `kubectl create <kind>` goes through client-go's typed clients, which since kubectl 1.32 send the
  // body as protobuf rather than JSON.
  it('creates a configmap from literals and a namespace', async () => {
    expect(succeeded(await run(['create', 'configmap', 'literal-cm', '--from-literal=a=b']))).toBe(
      'configmap/literal-cm created\n',
    );
    expect(succeeded(await run(['get', 'configmap', 'literal-cm', '-o', 'jsonpath={.data.a}']))).toBe('b');
    expect(succeeded(await run(['create', 'namespace', `${ns}-extra`]))).toBe(
      `namespace/${ns}-extra created\n`,
    );
    expect(succeeded(await run(['get', 'namespace', `${ns}-extra`, '-o', 'jsonpath={.status.phase}']))).toBe(
      'Active',
    );
  });

  it('prints pods, deployments and services as tables', async () => {
    const out = succeeded(await run(['get', 'pods,deploy,svc']));
    expect(out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(out).toMatch(/^pod\/pod-x\s+0\/1\s+Pending\s+0\s+\d+[smh]\S*$/m);
    expect(out).toMatch(/^pod\/pod-db\s+0\/1\s+Pending\s+0\s+\d+[smh]\S*$/m);
    expect(out).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    expect(out).toMatch(/^deployment\.apps\/web\s+0\/1\s+0\s+0\s+\d+[smh]\S*$/m);
    expect(out).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    expect(out).toMatch(/^service\/web\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+[smh]\S*$/m);
  });

  it('creates a Node with kubectl and lists it, also wide', async () => {
    const file = writeFile('node.yaml', nodeManifest(nodeName));
    expect(succeeded(await run(['create', '-f', file]))).toBe(`node/${nodeName} created\n`);
    const [plain, wide] = await Promise.all([
      run(['get', 'nodes']),
      run(['get', 'node', nodeName, '-o', 'wide']),
    ]);
    expect(succeeded(plain)).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/m);
    expect(plain.stdout).toMatch(
      new RegExp(`^${nodeName}\\s+Ready\\s+worker\\s+\\d+[smh]\\S*\\s+v1\\.32\\.0$`, 'm'),
    );
    expect(succeeded(wide)).toMatch(
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/m,
    );
    expect(wide.stdout).toMatch(
      new RegExp(
        `^${nodeName}\\s+Ready\\s+worker\\s+\\d+[smh]\\S*\\s+v1\\.32\\.0\\s+10\\.20\\.30\\.40\\s+<none>\\s+Debian GNU/Linux 12 \\(bookworm\\)\\s+6\\.1\\.0-test\\s+docker://24\\.0\\.7$`,
        'm',
      ),
    );
  });

  it('adds the wide columns with -o wide', async () => {
    const [pods, deploy, svc] = await Promise.all([
      run(['get', 'pods', '-o', 'wide']),
      run(['get', 'deployment', 'web', '-o', 'wide']),
      run(['get', 'service', 'web', '-o', 'wide']),
    ]);
    expect(succeeded(pods)).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m,
    );
    expect(pods.stdout).toMatch(
      /^pod-x\s+0\/1\s+Pending\s+0\s+\d+[smh]\S*\s+<none>\s+<none>\s+<none>\s+<none>$/m,
    );
    expect(succeeded(deploy)).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m,
    );
    expect(deploy.stdout).toMatch(/^web\s+0\/1\s+0\s+0\s+\d+[smh]\S*\s+web\s+busybox:1\.37\s+app=web$/m);
    expect(succeeded(svc)).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m);
    expect(svc.stdout).toMatch(/^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\d+[smh]\S*\s+app=web$/m);
  });

  it('prints objects and lists as YAML and JSON', async () => {
    const [asYaml, asJson, listJson] = await Promise.all([
      run(['get', 'configmap', 'web-config', '-o', 'yaml']),
      run(['get', 'deployment', 'web', '-o', 'json']),
      run(['get', 'pods', '-o', 'json']),
    ]);
    expect(parse(succeeded(asYaml))).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'web-config',
        namespace: ns,
        uid: expect.any(String),
        resourceVersion: expect.stringMatching(/^\d+$/),
      },
      data: { greeting: 'hello' },
    });
    expect(JSON.parse(succeeded(asJson))).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: { strategy: { type: 'RollingUpdate' }, revisionHistoryLimit: 10 },
    });
    const list = JSON.parse(succeeded(listJson)) as {
      kind: string;
      items: { kind: string; metadata: { name: string } }[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => [p.kind, p.metadata.name]).sort()).toEqual([
      ['Pod', 'pod-db'],
      ['Pod', 'pod-x'],
    ]);
  });

  it('filters with -l and --field-selector', async () => {
    const [byLabel, byLabelTable, byField, noMatch] = await Promise.all([
      run(['get', 'pods', '-l', 'app=web', '-o', 'name']),
      run(['get', 'pods', '-l', 'app=web']),
      run(['get', 'pods', '--field-selector', 'metadata.name=pod-db', '-o', 'name']),
      run(['get', 'pods', '-l', 'app=nothing']),
    ]);
    expect(succeeded(byLabel)).toBe('pod/pod-x\n');
    expect(succeeded(byLabelTable)).toMatch(/^pod-x\s/m);
    expect(byLabelTable.stdout).not.toMatch(/pod-db/);
    expect(succeeded(byField)).toBe('pod/pod-db\n');
    expect(succeeded(noMatch)).toBe('');
    expect(noMatch.stderr).toBe(`No resources found in ${ns} namespace.\n`);
  });

  it('lists across namespaces with -A and fills the NAMESPACE column', async () => {
    const out = succeeded(await run(['get', 'pods', '-A']));
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(out).toMatch(new RegExp(`^${ns}\\s+pod-x\\s+0/1\\s+Pending\\s+0\\s+\\d+[smh]\\S*$`, 'm'));
    expect(out).toMatch(new RegExp(`^${ns}\\s+pod-db\\s+0/1\\s+Pending\\s+0\\s+\\d+[smh]\\S*$`, 'm'));
  });

  it('watches with get -w and prints the change', async () => {
    const created = await request(api.url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: 'watched' },
      data: { one: '1' },
    });
    expect(created.status).toBe(201);
    const child = spawnKubectl(binary, ['-n', ns, 'get', 'configmap', 'watched', '-w'], {
      kubeconfig: api.kubeconfig,
      cacheDir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /^watched\s+1\s+\d+[smh]\S*$/m.test(stdout), {
        what: `the first row in ${JSON.stringify(stdout + stderr)}`,
      });
      expect(stdout).toMatch(/^NAME\s+DATA\s+AGE$/m);
      const patched = await request(
        api.url,
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/watched`,
        { data: { two: '2' } },
        {
          'Content-Type': 'application/merge-patch+json',
        },
      );
      expect(patched.status).toBe(200);
      await waitFor(() => /^watched\s+2\s+\d+[smh]\S*$/m.test(stdout), {
        what: `the changed row in ${JSON.stringify(stdout + stderr)}`,
      });
      // Still watching: kubectl exits on its own only when the server ends the stream.
      expect(child.exitCode).toBeNull();
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('describes a deployment and a pod', async () => {
    const [deploy, podOut] = await Promise.all([
      run(['describe', 'deployment', 'web']),
      run(['describe', 'pod', 'pod-x']),
    ]);
    expect(succeeded(deploy)).toMatch(/^Name:\s+web$/m);
    expect(deploy.stderr).toBe('');
    expect(deploy.stdout).toMatch(new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
    expect(deploy.stdout).toMatch(/^Selector:\s+app=web$/m);
    expect(deploy.stdout).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(deploy.stdout).toMatch(/^\s+Image:\s+busybox:1\.37$/m);
    expect(deploy.stdout).toMatch(/^Events:\s+<none>$/m);
    expect(succeeded(podOut)).toMatch(/^Name:\s+pod-x$/m);
    expect(podOut.stderr).toBe('');
    expect(podOut.stdout).toMatch(/^Status:\s+Pending$/m);
    expect(podOut.stdout).toMatch(/^Labels:\s+app=web$/m);
    expect(podOut.stdout).toMatch(/^\s+Image:\s+busybox$/m);
    expect(podOut.stdout).toMatch(/^Events:\s+<none>$/m);
  });

  it('scales a deployment, also with a --current-replicas precondition', async () => {
    const replicas = async () =>
      succeeded(await run(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']));
    expect(succeeded(await run(['scale', 'deployment', 'web', '--replicas=3']))).toBe(
      'deployment.apps/web scaled\n',
    );
    expect(await replicas()).toBe('3');
    // This form reads the scale subresource and PUTs it back without a Content-Type header.
    expect(succeeded(await run(['scale', 'deployment', 'web', '--current-replicas=3', '--replicas=4']))).toBe(
      'deployment.apps/web scaled\n',
    );
    expect(await replicas()).toBe('4');
    const stale = await run(['scale', 'deployment', 'web', '--current-replicas=3', '--replicas=5']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/Expected replicas to be 3, was 4/);
    expect(await replicas()).toBe('4');
  });

  it('labels, unlabels and annotates a pod', async () => {
    const meta = async () =>
      (await getJson<{ metadata: { labels: Json; annotations?: Json } }>('pod', 'pod-x')).metadata;
    expect(succeeded(await run(['label', 'pod', 'pod-x', 'tier=front']))).toBe('pod/pod-x labeled\n');
    expect((await meta()).labels).toEqual({ app: 'web', tier: 'front' });
    expect(succeeded(await run(['label', 'pod', 'pod-x', 'tier-']))).toBe('pod/pod-x unlabeled\n');
    expect((await meta()).labels).toEqual({ app: 'web' });
    expect(succeeded(await run(['annotate', 'pod', 'pod-x', 'example.com/note=hello world']))).toBe(
      'pod/pod-x annotated\n',
    );
    expect((await meta()).annotations).toMatchObject({ 'example.com/note': 'hello world' });
  });

  it('patches with strategic merge (the default), JSON merge and JSON patches', async () => {
    const strategic = {
      spec: {
        template: { spec: { containers: [{ name: 'web', env: [{ name: 'MODE', value: 'fast' }] }] } },
      },
    };
    expect(succeeded(await run(['patch', 'deployment', 'web', '-p', JSON.stringify(strategic)]))).toBe(
      'deployment.apps/web patched\n',
    );
    let deploy = await getJson<DeploymentJson>('deployment', 'web');
    // Merged into the container of the same name, not replacing the list as a JSON merge patch would.
    expect(deploy.spec.template.spec.containers).toHaveLength(1);
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({
      name: 'web',
      image: 'busybox:1.37',
      env: [{ name: 'MODE', value: 'fast' }],
    });

    const merge = JSON.stringify({ data: { extra: 'yes' } });
    expect(succeeded(await run(['patch', 'configmap', 'web-config', '--type', 'merge', '-p', merge]))).toBe(
      'configmap/web-config patched\n',
    );
    expect((await getJson<{ data: unknown }>('configmap', 'web-config')).data).toEqual({
      greeting: 'hello',
      extra: 'yes',
    });
    expect(succeeded(await run(['patch', 'configmap', 'web-config', '--type', 'merge', '-p', merge]))).toBe(
      'configmap/web-config patched (no change)\n',
    );

    const jsonPatch = JSON.stringify([
      { op: 'replace', path: '/spec/replicas', value: 2 },
      { op: 'add', path: '/metadata/labels/patched', value: 'json' },
    ]);
    expect(succeeded(await run(['patch', 'deployment', 'web', '--type', 'json', '-p', jsonPatch]))).toBe(
      'deployment.apps/web patched\n',
    );
    deploy = await getJson<DeploymentJson>('deployment', 'web');
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.metadata.labels).toEqual({ app: 'web', tier: 'backend', patched: 'json' });

    const failing = await run([
      'patch',
      'deployment',
      'web',
      '--type',
      'json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":9}]',
    ]);
    expect(failing.code).toBe(1);
    // Upstream answers a failed JSON patch operation with a bare 422, which kubectl prints this way.
    expect(failing.stderr).toBe(
      'The request is invalid: the server rejected our request due to an error in our request\n',
    );
    expect((await getJson<DeploymentJson>('deployment', 'web')).spec.replicas).toBe(2);
  });

  it('waits for a pod condition that the status subresource sets meanwhile', async () => {
    const created = await request(
      api.url,
      'POST',
      `/api/v1/namespaces/${ns}/pods`,
      pod('waiter', { app: 'wait' }),
    );
    expect(created.status).toBe(201);
    const waiting = run(['wait', '--for=condition=Ready', 'pod/waiter', '--timeout=30s']);
    let settled = false;
    void waiting.then(() => (settled = true));
    // Give kubectl time to reach its watch: the condition must not be met before it starts waiting.
    await new Promise((r) => setTimeout(r, 1500));
    expect(settled).toBe(false);
    const status = await request(
      api.url,
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/waiter/status`,
      { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(status.status).toBe(200);
    const result = await waiting;
    expect(result).toMatchObject({ code: 0, stdout: 'pod/waiter condition met\n' });
    expect(succeeded(await run(['get', 'pod', 'waiter']))).toMatch(
      /^waiter\s+0\/1\s+Running\s+0\s+\d+[smh]\S*$/m,
    );

    const timedOut = await run(['wait', '--for=condition=Ready', 'pod/pod-db', '--timeout=1s']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toMatch(/timed out waiting for the condition on pods\/pod-db/);
  });

  it('lists API resources and API versions', async () => {
    const [resources, versions] = await Promise.all([run(['api-resources']), run(['api-versions'])]);
    const out = succeeded(resources);
    expect(out).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).toMatch(/^nodes\s+no\s+v1\s+false\s+Node$/m);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^replicasets\s+rs\s+apps\/v1\s+true\s+ReplicaSet$/m);
    expect(out).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    expect(succeeded(versions).split('\n')).toEqual(
      expect.arrayContaining(['v1', 'apps/v1', 'coordination.k8s.io/v1']),
    );
  });

  it('explains deployment.spec from the OpenAPI v3 documents', async () => {
    const out = succeeded(await run(['explain', 'deployment.spec']));
    expect(out).toMatch(/^GROUP:\s+apps$/m);
    expect(out).toMatch(/^KIND:\s+Deployment$/m);
    expect(out).toMatch(/^VERSION:\s+v1$/m);
    expect(out).toMatch(/^FIELD:\s+spec\s+<DeploymentSpec>$/m);
    expect(out).toMatch(/^\s+replicas\s+<integer>$/m);
    expect(out).toMatch(/^\s+template\s+<PodTemplateSpec> -required-$/m);
  });

  it('shows the server version', async () => {
    const result = await run(['version']);
    expect(succeeded(result)).toMatch(
      new RegExp(`^Client Version: v1\\.${expectedClientMinor}\\.\\d+\\S*$`, 'm'),
    );
    expect(result.stdout).toMatch(/^Server Version: v1\.32\.\d+\S*$/m);
  });

  it('reports a missing object as NotFound with exit code 1', async () => {
    const result = await run(['get', 'pod', 'nope']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
  });

  it('deletes by name and by label selector', async () => {
    const purge = yamlDocs(
      ...['purge-1', 'purge-2'].map((n) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: n, labels: { purge: 'now' } },
      })),
    );
    expect(succeeded(await run(['apply', '-f', '-'], { stdin: purge }))).toBe(
      'configmap/purge-1 created\nconfigmap/purge-2 created\n',
    );

    expect(succeeded(await run(['delete', 'configmap', 'web-config']))).toMatch(
      /^configmap "web-config" deleted/,
    );
    expect(succeeded(await run(['delete', 'deployment', 'web']))).toMatch(/^deployment\.apps "web" deleted/);
    const [cm, deploy] = await Promise.all([
      run(['get', 'configmap', 'web-config']),
      run(['get', 'deployment', 'web']),
    ]);
    expect(cm).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): configmaps "web-config" not found\n',
    });
    expect(deploy).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): deployments.apps "web" not found\n',
    });

    const byLabel = succeeded(await run(['delete', 'configmap', '-l', 'purge=now']));
    expect(byLabel.split('\n').filter(Boolean).sort()).toEqual([
      expect.stringMatching(/^configmap "purge-1" deleted/),
      expect.stringMatching(/^configmap "purge-2" deleted/),
    ]);
    const left = await run(['get', 'configmap', '-l', 'purge=now']);
    expect(left).toMatchObject({ code: 0, stdout: '', stderr: `No resources found in ${ns} namespace.\n` });
    expect(succeeded(await run(['get', 'configmap', 'created-cm', '-o', 'name']))).toBe(
      'configmap/created-cm\n',
    );
  });
});
