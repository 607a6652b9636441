/**
 * FakeRuntime: an in-memory ContainerRuntime for unit tests of the kubelet. It keeps the same
 * contract as DockerRuntime (idempotent stop/remove, undefined for what is gone, ImagePullError for
 * pulls) and records every call, so tests assert on what the kubelet asked for. Containers never run
 * anything: tests move them with `exitContainer`, `setLogs` and `setExecResult`, and time comes from
 * the injected `now`, so nothing sleeps.
 */
import { Readable } from 'node:stream';
import { ImagePullError, imageRefFor, terminationReason } from './runtime.js';
import type {
  ContainerConfig,
  ContainerRuntime,
  ContainerStatus,
  ContainerSummary,
  ExecResult,
  ImageInfo,
  ListFilter,
  LogOptions,
  RuntimeVersion,
  SandboxConfig,
  SandboxStatus,
} from './runtime.js';
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from '../images.js';

export interface FakeCall {
  method: string;
  args: unknown[];
}

interface FakeSandbox extends SandboxStatus {
  config: SandboxConfig;
}

interface FakeContainer extends ContainerStatus {
  config: ContainerConfig;
  logs: string;
}

/** `busybox` and `busybox:latest` are one image, as Docker resolves them. */
export function normalizeImage(image: string): string {
  if (image.includes('@')) return image;
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image : `${image}:latest`;
}

export class FakeRuntime implements ContainerRuntime {
  readonly type = 'docker';
  readonly calls: FakeCall[] = [];
  /** Set to make every call reject, as when Docker is unreachable. */
  down = false;
  private readonly now: () => number;
  private readonly sandboxes = new Map<string, FakeSandbox>();
  private readonly containers = new Map<string, FakeContainer>();
  private readonly images = new Map<string, ImageInfo>();
  private readonly pullable = new Set<string>();
  private readonly failures = new Map<string, Error>();
  private execResult: (id: string, command: string[]) => ExecResult = () => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
    timedOut: false,
  });
  private nextId = 1;
  private nextIp = 2;

  constructor(options: { now?: () => number; images?: string[] } = {}) {
    this.now = options.now ?? (() => Date.now());
    for (const image of options.images ?? [PAUSE_IMAGE, BUSYBOX_IMAGE, 'busybox']) this.addImage(image);
  }

  // ---- test controls ----

  addImage(image: string): void {
    const ref = normalizeImage(image);
    this.images.set(ref, {
      id: `sha256:${'0'.repeat(60)}${String(this.images.size).padStart(4, '0')}`,
      repoTags: [ref],
      repoDigests: [],
      size: 0,
    });
  }

  /** Pulls of this image succeed; any other pull fails like an unreachable registry. */
  allowPull(image: string): void {
    this.pullable.add(normalizeImage(image));
  }

  /** The next call of `method` rejects with `error`. */
  failNext(method: keyof ContainerRuntime, error: Error): void {
    this.failures.set(method, error);
  }

  exitContainer(id: string, exitCode: number, options: { oomKilled?: boolean } = {}): void {
    const c = this.mustContainer(id);
    c.state = 'exited';
    c.exitCode = exitCode;
    c.oomKilled = options.oomKilled ?? false;
    c.reason = terminationReason(exitCode, c.oomKilled);
    c.finishedAt = this.now();
  }

  setLogs(id: string, text: string): void {
    this.mustContainer(id).logs = text;
  }

  setExecResult(result: (id: string, command: string[]) => ExecResult): void {
    this.execResult = result;
  }

  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  // ---- ContainerRuntime ----

  async version(): Promise<RuntimeVersion> {
    this.record('version', []);
    return {
      runtimeName: 'docker',
      runtimeVersion: '20.10.0-fake',
      runtimeApiVersion: '1.41',
      kernelVersion: 'fake',
      os: 'linux',
      arch: 'amd64',
    };
  }

  async ping(): Promise<void> {
    this.record('ping', []);
  }

  async createSandbox(config: SandboxConfig): Promise<string> {
    this.record('createSandbox', [config]);
    const id = this.newId('sandbox');
    this.sandboxes.set(id, {
      id,
      config,
      pod: { ...config.pod },
      attempt: config.attempt,
      state: 'notready',
      createdAt: this.now(),
      hostNetwork: config.hostNetwork === true,
      labels: { ...config.labels },
    });
    return id;
  }

  async startSandbox(id: string): Promise<void> {
    this.record('startSandbox', [id]);
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new Error(`No such container: ${id}`);
    sandbox.state = 'ready';
    sandbox.ip = sandbox.hostNetwork ? undefined : (sandbox.ip ?? `10.88.0.${this.nextIp++}`);
  }

  async stopSandbox(id: string, gracePeriodSeconds?: number): Promise<void> {
    this.record('stopSandbox', [id, gracePeriodSeconds]);
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    sandbox.state = 'notready';
    sandbox.ip = undefined;
  }

  async removeSandbox(id: string): Promise<void> {
    this.record('removeSandbox', [id]);
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) this.containers.delete(c.id);
    this.sandboxes.delete(id);
  }

  async sandboxStatus(id: string): Promise<SandboxStatus | undefined> {
    this.record('sandboxStatus', [id]);
    const sandbox = this.sandboxes.get(id);
    return sandbox && this.publicSandbox(sandbox);
  }

  async listSandboxes(filter: ListFilter = {}): Promise<SandboxStatus[]> {
    this.record('listSandboxes', [filter]);
    return [...this.sandboxes.values()]
      .filter((s) => !filter.podUid || s.pod.uid === filter.podUid)
      .map((s) => this.publicSandbox(s));
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: SandboxConfig): Promise<string> {
    this.record('createContainer', [sandboxId, config, sandbox]);
    if (!this.sandboxes.has(sandboxId)) throw new Error(`No such container: ${sandboxId}`);
    const image = this.images.get(normalizeImage(config.image));
    if (!image) throw new Error(`No such image: ${config.image}`);
    const id = this.newId(config.name);
    this.containers.set(id, {
      id,
      config,
      logs: '',
      sandboxId,
      pod: { ...sandbox.pod },
      name: config.name,
      image: config.image,
      imageRef: imageRefFor(image.id, image.repoDigests),
      state: 'created',
      createdAt: this.now(),
      restartCount: config.restartCount,
      hash: config.hash,
      oomKilled: false,
      labels: { ...config.labels },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.record('startContainer', [id]);
    const c = this.mustContainer(id);
    c.state = 'running';
    c.startedAt = this.now();
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    this.record('stopContainer', [id, gracePeriodSeconds]);
    const c = this.containers.get(id);
    // 143: what a shell-like process reports when SIGTERM ends it.
    if (c?.state === 'running') this.exitContainer(id, 143);
  }

  async removeContainer(id: string): Promise<void> {
    this.record('removeContainer', [id]);
    this.containers.delete(id);
  }

  async listContainers(filter: ListFilter = {}): Promise<ContainerSummary[]> {
    this.record('listContainers', [filter]);
    return [...this.containers.values()]
      .filter((c) => !filter.podUid || c.pod.uid === filter.podUid)
      .map((c) => ({
        id: c.id,
        sandboxId: c.sandboxId,
        pod: { ...c.pod },
        name: c.name,
        image: c.image,
        state: c.state,
        createdAt: c.createdAt,
        restartCount: c.restartCount,
        hash: c.hash,
        labels: { ...c.labels },
      }));
  }

  async inspectContainer(id: string): Promise<ContainerStatus | undefined> {
    this.record('inspectContainer', [id]);
    const c = this.containers.get(id);
    if (!c) return undefined;
    const { config: _config, logs: _logs, ...status } = c;
    return { ...status, pod: { ...c.pod }, labels: { ...c.labels } };
  }

  async logs(id: string, options: LogOptions = {}): Promise<Readable> {
    this.record('logs', [id, options]);
    let lines = this.mustContainer(id)
      .logs.split(/(?<=\n)/)
      .filter(Boolean);
    if (options.tailLines !== undefined) lines = lines.slice(Math.max(0, lines.length - options.tailLines));
    return Readable.from([Buffer.from(lines.join(''))]);
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    this.record('exec', [id, command, timeoutMs]);
    if (this.mustContainer(id).state !== 'running') throw new Error(`container ${id} is not running`);
    return this.execResult(id, command);
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    this.record('imageStatus', [image]);
    const info = this.images.get(normalizeImage(image));
    return info && { ...info };
  }

  async pullImage(image: string): Promise<ImageInfo> {
    this.record('pullImage', [image]);
    const ref = normalizeImage(image);
    if (!this.pullable.has(ref)) {
      throw new ImagePullError(
        image,
        `failed to pull image "${image}": pull access denied or registry unreachable`,
      );
    }
    if (!this.images.has(ref)) this.addImage(ref);
    return { ...this.images.get(ref)! };
  }

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.down) throw new Error('Cannot connect to the Docker daemon');
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private newId(hint: string): string {
    return `${hint}-${String(this.nextId++).padStart(4, '0')}`;
  }

  private mustContainer(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`No such container: ${id}`);
    return c;
  }

  private publicSandbox(sandbox: FakeSandbox): SandboxStatus {
    const { config: _config, ...status } = sandbox;
    return { ...status, pod: { ...sandbox.pod }, labels: { ...sandbox.labels } };
  }
}
