/**
 * Encryption at rest through the whole server: what etcd holds for Secrets under an aesgcm config,
 * what clients read back over GET, LIST and WATCH, and key rotation across restarts.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { Etcd3 } from 'etcd3';
import { startApiServer } from '../api-server.js';
import type { ApiServerConfig, RunningApiServer } from '../api-server.js';
import { startTestApiServer } from '../../e2e/support/test-api-server.js';
import type { TestApiServer } from '../../e2e/support/test-api-server.js';
import { request } from '../../e2e/support/api-client.js';
import { parseEncryptionConfig } from './encryption-config.js';
import type { EncryptionConfig } from './encryption-config.js';

const KEY1 = Buffer.alloc(32, 0x11).toString('base64');
const KEY2 = Buffer.alloc(32, 0x22).toString('base64');
const PLAINTEXT = 'kubicle-recognisable-secret-value';
const B64 = Buffer.from(PLAINTEXT).toString('base64');
const SECRETS = '/api/v1/namespaces/default/secrets';

interface SecretBody {
  metadata: Record<string, unknown>;
  data: Record<string, string>;
  [field: string]: unknown;
}

interface WatchEvent {
  type: string;
  object: SecretBody;
}

function encryption(keys: [string, string][], identity = true): EncryptionConfig {
  const keyLines = keys.map(
    ([name, secret]) => `            - name: ${name}\n              secret: ${secret}`,
  );
  return parseEncryptionConfig(
    [
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: EncryptionConfiguration',
      'resources:',
      '  - resources: [secrets]',
      '    providers:',
      '      - aesgcm:',
      '          keys:',
      ...keyLines,
      ...(identity ? ['      - identity: {}'] : []),
    ].join('\n'),
  );
}

const secret = (name: string, value = B64) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, labels: { app: 'enc' } },
  type: 'Opaque',
  data: { password: value },
});

/** Collects watch events until `count` arrived. */
function watchEvents(base: string, path: string, count: number) {
  return new Promise<WatchEvent[]>((resolve, reject) => {
    const events: WatchEvent[] = [];
    let buffer = '';
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`saw ${events.length} of ${count} events: ${JSON.stringify(events)}`));
    }, 10_000);
    const req = http.get(`${base}${path}`, (res) => {
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, nl)) as WatchEvent);
          buffer = buffer.slice(nl + 1);
        }
        if (events.length >= count) {
          clearTimeout(timer);
          req.destroy();
          resolve(events);
        }
      });
    });
    req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)));
  });
}

describe('Secrets encrypted at rest with aesgcm', () => {
  let api: TestApiServer;
  let etcd: Etcd3;
  let restarted: RunningApiServer | undefined;
  const raw = async (key: string) => (await etcd.get(key).buffer())!;
  const secretKey = (name: string) => `${api.prefix}/secrets/default/${name}`;

  async function restartWith(config: EncryptionConfig): Promise<string> {
    await api.stop();
    await restarted?.close();
    const base: Partial<ApiServerConfig> = {
      etcdServers: [api.etcdUrl],
      etcdPrefix: api.prefix,
      port: 0,
      compactionIntervalMs: 0,
      log: () => undefined,
      encryption: config,
    };
    restarted = await startApiServer(base);
    return restarted.url;
  }

  beforeAll(async () => {
    api = await startTestApiServer({ encryption: encryption([['key1', KEY1]]) });
    etcd = new Etcd3({ hosts: [api.etcdUrl] });
  });
  afterAll(async () => {
    await restarted?.close();
    etcd.close();
    await api.close();
  });

  it('stores a created Secret encrypted with key1 and serves it back in plaintext', async () => {
    const created = await request(api.url, 'POST', SECRETS, secret('s1'));
    expect(created.status).toBe(201);
    const stored = await raw(secretKey('s1'));
    expect(stored.toString('latin1').startsWith('k8s:enc:aesgcm:v1:key1:')).toBe(true);
    expect(stored.includes(PLAINTEXT)).toBe(false);
    expect(stored.includes(B64)).toBe(false);
    expect(stored.includes('password')).toBe(false);

    const got = await request<{ data: Record<string, string> }>(api.url, 'GET', `${SECRETS}/s1`);
    expect(got.status).toBe(200);
    expect(got.body.data.password).toBe(B64);
    const list = await request<{ items: { data: Record<string, string> }[] }>(api.url, 'GET', SECRETS);
    expect(list.body.items.map((s) => s.data.password)).toEqual([B64]);
    const all = await request<{ items: { data: Record<string, string> }[] }>(
      api.url,
      'GET',
      '/api/v1/secrets',
    );
    expect(all.body.items.map((s) => s.data.password)).toEqual([B64]);
  });

  it('is unreadable to etcdctl get, which sees only the envelope', async () => {
    const created = await request(api.url, 'POST', SECRETS, secret('for-etcdctl'));
    expect(created.status).toBe(201);
    const seen = execFileSync(
      'etcdctl',
      ['--endpoints', api.etcdUrl, 'get', secretKey('for-etcdctl'), '--print-value-only'],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    );
    expect(seen.toString('latin1').startsWith('k8s:enc:aesgcm:v1:key1:')).toBe(true);
    expect(seen.includes(PLAINTEXT)).toBe(false);
    expect(seen.includes(B64)).toBe(false);
    const got = await request<{ data: Record<string, string> }>(api.url, 'GET', `${SECRETS}/for-etcdctl`);
    expect(got.body.data.password).toBe(B64);
    expect((await request(api.url, 'DELETE', `${SECRETS}/for-etcdctl`)).status).toBe(200);
  });

  it('encrypts updates too, and a conflicting update still reads the current object', async () => {
    const current = await request<SecretBody>(api.url, 'GET', `${SECRETS}/s1`);
    const updated = await request(api.url, 'PUT', `${SECRETS}/s1`, {
      ...current.body,
      data: { password: B64, extra: B64 },
    });
    expect(updated.status).toBe(200);
    expect((await raw(secretKey('s1'))).includes(B64)).toBe(false);
    const stale = await request(api.url, 'PUT', `${SECRETS}/s1`, current.body);
    expect(stale.status).toBe(409);
    const patched = await request<{ data: Record<string, string> }>(
      api.url,
      'PATCH',
      `${SECRETS}/s1`,
      { data: { extra: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.data).toEqual({ password: B64 });
  });

  it('watches in plaintext, from the cache and from etcd history, deletions included', async () => {
    const before = await request<{ metadata: { resourceVersion: string } }>(api.url, 'GET', SECRETS);
    const from = before.body.metadata.resourceVersion;
    // A label-selected watch: DELETED is matched against the previous state, read from prevKV.
    const live = watchEvents(
      api.url,
      `${SECRETS}?watch=true&resourceVersion=${from}&labelSelector=app%3Denc`,
      3,
    );
    await new Promise((r) => setTimeout(r, 200));
    await request(api.url, 'POST', SECRETS, secret('w1'));
    const w1 = await request<SecretBody>(api.url, 'GET', `${SECRETS}/w1`);
    await request(api.url, 'PUT', `${SECRETS}/w1`, { ...w1.body, data: { password: B64, more: B64 } });
    await request(api.url, 'DELETE', `${SECRETS}/w1`);
    const events = await live;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    for (const event of events) expect(event.object.data.password).toBe(B64);

    // From the revision before all of that: replayed from etcd, not the cache.
    const replayed = await watchEvents(api.url, `${SECRETS}?watch=true&resourceVersion=${from}`, 3);
    expect(replayed.map((e) => [e.type, e.object.data.password])).toEqual([
      ['ADDED', B64],
      ['MODIFIED', B64],
      ['DELETED', B64],
    ]);
    const initial = await watchEvents(api.url, `${SECRETS}?watch=true`, 1);
    expect(initial[0].object.data.password).toBe(B64);
  });

  it('keeps ConfigMaps in plaintext', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { v: PLAINTEXT } };
    expect((await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
    const stored = await raw(`${api.prefix}/configmaps/default/plain`);
    expect(stored.toString('utf8')).toContain(PLAINTEXT);
    expect(stored.toString('utf8').startsWith('{')).toBe(true);
  });

  it('reads Secrets stored before encryption while identity is a provider', async () => {
    const legacy = { ...secret('legacy'), metadata: { name: 'legacy', namespace: 'default' } };
    await etcd.put(secretKey('legacy')).value(JSON.stringify(legacy));
    const got = await request<{ data: Record<string, string> }>(api.url, 'GET', `${SECRETS}/legacy`);
    expect(got.status).toBe(200);
    expect(got.body.data.password).toBe(B64);
    await request(api.url, 'DELETE', `${SECRETS}/legacy`);
  });

  it('rotates: with [key2, key1] old Secrets still read and new writes use key2', async () => {
    const url = await restartWith(
      encryption([
        ['key2', KEY2],
        ['key1', KEY1],
      ]),
    );
    const old = await request<SecretBody>(url, 'GET', `${SECRETS}/s1`);
    expect(old.status).toBe(200);
    expect(old.body.data.password).toBe(B64);
    expect((await raw(secretKey('s1'))).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:key1:/);

    expect((await request(url, 'POST', SECRETS, secret('s2'))).status).toBe(201);
    expect((await raw(secretKey('s2'))).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:key2:/);
    // Rewriting the old Secret moves it to key2, which is how rotation completes.
    expect((await request(url, 'PUT', `${SECRETS}/s1`, old.body)).status).toBe(200);
    expect((await raw(secretKey('s1'))).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:key2:/);
  });

  it('answers 500 naming the key, never the value, for data it has no key for', async () => {
    // Put one Secret back under key1, then drop key1 (and identity) from the config.
    await restartWith(encryption([['key1', KEY1]]));
    expect((await request(restarted!.url, 'POST', SECRETS, secret('orphan'))).status).toBe(201);
    const url = await restartWith(encryption([['key2', KEY2]], false));
    const got = await request<{ reason: string; message: string }>(url, 'GET', `${SECRETS}/orphan`);
    expect(got.status).toBe(500);
    expect(got.body.reason).toBe('InternalError');
    expect(got.body.message).toContain(`unable to transform key "${secretKey('orphan')}"`);
    expect(got.body.message).toContain('"key1"');
    expect(got.text).not.toContain(B64);
    expect(got.text).not.toContain(PLAINTEXT);
    const list = await request(url, 'GET', SECRETS);
    expect(list.status).toBe(500);
    expect(list.text).not.toContain(B64);
    // Secrets under key2 still read.
    expect((await request(url, 'GET', `${SECRETS}/s2`)).status).toBe(200);
  });
});
