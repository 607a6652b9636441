/**
 * DockerRuntime: the ContainerRuntime over the Docker Engine API (through dockerode), laid out the way
 * upstream's dockershim laid pods out.
 *
 * - A sandbox is a pause container named `k8s_POD_<pod>_<namespace>_<uid>_<attempt>`. It sits on a
 *   Docker network (by default Docker's own `bridge`), and its address there is the pod IP. It is
 *   created with IPC mode `shareable` so the app containers can join its IPC namespace.
 * - App containers are named `k8s_<container>_<pod>_<namespace>_<uid>_<restartCount>` and join the
 *   sandbox with `NetworkMode`/`IpcMode: container:<sandbox>` (and `PidMode` too when the pod shares
 *   its process namespace), so they share localhost, the hostname, /etc/hosts and /etc/resolv.conf.
 * - DNS is given to Docker on the sandbox (`Dns`, `DnsSearch`, `DnsOptions`). On the default bridge
 *   Docker writes those into resolv.conf as they are, which is what a ClusterFirst pod needs. On a
 *   user-defined network (see `ensurePodNetwork`) Docker puts its embedded resolver 127.0.0.11 in
 *   front and forwards to the given servers; search and options still apply.
 * - Docker's own restart policy is off (`no`): restarts are the kubelet's decision, so its backoff and
 *   restart counts stay true.
 * - Ownership lives in labels (see runtime.ts); every list filters on this node's labels.
 */
import crypto from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { enableHairpin } from './hairpin.js';
import { DemuxTransform, FrameParser, demuxBuffer } from './docker-stream.js';
import {
  CONTAINER_TYPE_CONTAINER,
  CONTAINER_TYPE_SANDBOX,
  ImagePullError,
  LABEL_CONTAINER_HASH,
  LABEL_CONTAINER_NAME,
  LABEL_CONTAINER_TYPE,
  LABEL_HOST_NETWORK,
  LABEL_MANAGED,
  LABEL_NODE,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  LABEL_RESTART_COUNT,
  LABEL_SANDBOX_ATTEMPT,
  LABEL_SANDBOX_ID,
  SANDBOX_CONTAINER_NAME,
  imageRefFor,
  terminationReason,
} from './runtime.js';
import type {
  ContainerConfig,
  ContainerRuntime,
  ContainerState,
  ContainerStatus,
  ContainerSummary,
  ExecResult,
  ImageInfo,
  ListFilter,
  LogOptions,
  PodRef,
  RuntimeVersion,
  SandboxConfig,
  SandboxStatus,
} from './runtime.js';
import { PAUSE_IMAGE } from '../images.js';

export interface DockerRuntimeOptions {
  /** Defaults to dockerode's own defaults: DOCKER_HOST, else /var/run/docker.sock. */
  docker?: Docker;
  nodeName: string;
  /** More labels that mark ownership, e.g. a test run's id; listing filters on them too. */
  ownerLabels?: Record<string, string>;
  pauseImage?: string;
  /** The Docker network sandboxes join; `bridge` (Docker's default) unless configured. */
  network?: string;
}

/** Probe output beyond this is dropped, as upstream caps exec probe output at 10 KiB. */
const EXEC_OUTPUT_LIMIT = 10 * 1024;
/** Docker's zero time, which it reports for "never started" and "never finished". */
const DOCKER_ZERO_TIME = '0001-01-01T00:00:00Z';
/** Per-container log rotation, as the kubelet's containerLogMaxSize/MaxFiles defaults. */
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } };

interface DockerError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

function statusCodeOf(err: unknown): number | undefined {
  return (err as DockerError | null)?.statusCode;
}

function messageOf(err: unknown): string {
  const e = err as DockerError | null;
  return e?.json?.message ?? e?.message ?? String(err);
}

/** Runs a Docker call whose "already done" answers (given status codes) count as success. */
async function tolerating(codes: number[], call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!codes.includes(statusCodeOf(err) ?? 0)) throw err;
  }
}

function dockerTime(value: string | undefined): number | undefined {
  if (!value || value === DOCKER_ZERO_TIME) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) || ms <= 0 ? undefined : ms;
}

/** Docker's states folded into the four the kubelet distinguishes. */
export function containerStateOf(dockerState: string): ContainerState {
  switch (dockerState) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    default:
      return 'unknown';
  }
}

function podRefOf(labels: Record<string, string>): PodRef {
  return {
    uid: labels[LABEL_POD_UID] ?? '',
    name: labels[LABEL_POD_NAME] ?? '',
    namespace: labels[LABEL_POD_NAMESPACE] ?? '',
  };
}

function intLabel(labels: Record<string, string>, key: string): number {
  const value = Number.parseInt(labels[key] ?? '', 10);
  return Number.isFinite(value) ? value : 0;
}

/** Docker container names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]`; pod names already fit. */
export function dockerContainerName(containerName: string, pod: PodRef, attempt: number): string {
  return ['k8s', containerName, pod.name, pod.namespace, pod.uid, String(attempt)].join('_');
}

/** Kubernetes command/args onto Docker's Entrypoint/Cmd; Docker drops the image CMD when Entrypoint is set. */
export function entrypointAndCmd(config: Pick<ContainerConfig, 'command' | 'args'>): {
  Entrypoint?: string[];
  Cmd?: string[];
} {
  const command = config.command?.length ? config.command : undefined;
  const args = config.args?.length ? config.args : undefined;
  if (command) return { Entrypoint: command, Cmd: args ?? [] };
  if (args) return { Cmd: args };
  return {};
}

export class DockerRuntime implements ContainerRuntime {
  readonly type = 'docker';
  private readonly docker: Docker;
  private readonly ownership: Record<string, string>;
  private readonly pauseImage: string;
  private readonly network: string;
  /** Image ids are content hashes, so what they resolve to never changes. */
  private readonly imageRefs = new Map<string, string>();
  private bridge?: Promise<string | undefined>;

  constructor(options: DockerRuntimeOptions) {
    this.docker = options.docker ?? new Docker();
    this.ownership = {
      ...options.ownerLabels,
      [LABEL_MANAGED]: 'true',
      [LABEL_NODE]: options.nodeName,
    };
    this.pauseImage = options.pauseImage ?? PAUSE_IMAGE;
    this.network = options.network ?? 'bridge';
  }

  async version(): Promise<RuntimeVersion> {
    const v = await this.docker.version();
    return {
      runtimeName: 'docker',
      runtimeVersion: v.Version,
      runtimeApiVersion: v.ApiVersion,
      kernelVersion: v.KernelVersion,
      os: v.Os,
      arch: v.Arch,
    };
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async createSandbox(config: SandboxConfig): Promise<string> {
    const { pod, dns } = config;
    const hostNetwork = config.hostNetwork === true;
    const labels = {
      ...config.labels,
      ...this.podLabels(pod, SANDBOX_CONTAINER_NAME),
      [LABEL_CONTAINER_TYPE]: CONTAINER_TYPE_SANDBOX,
      [LABEL_SANDBOX_ATTEMPT]: String(config.attempt),
      [LABEL_HOST_NETWORK]: String(hostNetwork),
    };
    const ports = hostNetwork ? [] : (config.portMappings ?? []).filter((p) => p.hostPort > 0);
    const portKey = (p: { containerPort: number; protocol: string }) =>
      `${p.containerPort}/${p.protocol.toLowerCase()}`;
    const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of ports) {
      (portBindings[portKey(p)] ??= []).push({ HostIp: p.hostIP ?? '', HostPort: String(p.hostPort) });
    }
    return this.createNamed(dockerContainerName(SANDBOX_CONTAINER_NAME, pod, config.attempt), {
      Image: this.pauseImage,
      Hostname: hostNetwork ? undefined : config.hostname,
      Labels: labels,
      ExposedPorts: Object.fromEntries(ports.map((p) => [portKey(p), {}])),
      HostConfig: {
        NetworkMode: hostNetwork ? 'host' : this.network,
        IpcMode: config.hostIPC ? 'host' : 'shareable',
        PidMode: config.hostPID ? 'host' : '',
        Dns: dns?.servers,
        DnsSearch: dns?.searches,
        DnsOptions: dns?.options,
        ExtraHosts: (config.hostAliases ?? []).flatMap((a) => a.hostnames.map((h) => `${h}:${a.ip}`)),
        PortBindings: portBindings,
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        LogConfig: LOG_CONFIG,
      },
    });
  }

  async startSandbox(id: string): Promise<void> {
    await this.startContainer(id);
    const bridge = await this.bridgeName();
    if (bridge) enableHairpin(bridge);
  }

  /** The Linux bridge behind the pod network, looked up once; undefined when it is not a bridge. */
  private bridgeName(): Promise<string | undefined> {
    this.bridge ??= this.docker
      .getNetwork(this.network)
      .inspect()
      .then(
        (n: { Driver?: string; Id?: string; Options?: Record<string, string> }) =>
          n.Driver !== 'bridge'
            ? undefined
            : (n.Options?.['com.docker.network.bridge.name'] ??
              (this.network === 'bridge' ? 'docker0' : `br-${(n.Id ?? '').slice(0, 12)}`)),
        () => undefined,
      );
    return this.bridge;
  }

  async stopSandbox(id: string, gracePeriodSeconds = 10): Promise<void> {
    await this.stopContainer(id, gracePeriodSeconds);
  }

  /** As CRI's RemovePodSandbox: containers still in the sandbox are removed with it. */
  async removeSandbox(id: string): Promise<void> {
    const members = await this.docker.listContainers({
      all: true,
      filters: { label: [...this.ownershipFilters(), `${LABEL_SANDBOX_ID}=${id}`] },
    });
    await Promise.all(members.map((c) => this.removeContainer(c.Id)));
    await this.removeContainer(id);
  }

  async sandboxStatus(id: string): Promise<SandboxStatus | undefined> {
    const info = await this.inspectRaw(id);
    if (!info || info.Config.Labels?.[LABEL_CONTAINER_TYPE] !== CONTAINER_TYPE_SANDBOX) return undefined;
    const state = containerStateOf(info.State.Status);
    return this.toSandboxStatus(
      info.Id,
      info.Config.Labels,
      state,
      Date.parse(info.Created),
      info.NetworkSettings.Networks,
    );
  }

  async listSandboxes(filter: ListFilter = {}): Promise<SandboxStatus[]> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: this.listFilters(CONTAINER_TYPE_SANDBOX, filter) },
    });
    return list.map((c) =>
      this.toSandboxStatus(
        c.Id,
        c.Labels,
        containerStateOf(c.State),
        c.Created * 1000,
        c.NetworkSettings?.Networks,
      ),
    );
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: SandboxConfig): Promise<string> {
    const joinSandbox = `container:${sandboxId}`;
    const resources = config.resources ?? {};
    const labels: Record<string, string> = {
      ...config.labels,
      ...this.podLabels(sandbox.pod, config.name),
      [LABEL_CONTAINER_TYPE]: CONTAINER_TYPE_CONTAINER,
      [LABEL_SANDBOX_ID]: sandboxId,
      [LABEL_RESTART_COUNT]: String(config.restartCount),
    };
    if (config.hash) labels[LABEL_CONTAINER_HASH] = config.hash;
    let pidMode = '';
    if (sandbox.hostPID) pidMode = 'host';
    else if (sandbox.shareProcessNamespace) pidMode = joinSandbox;
    return this.createNamed(dockerContainerName(config.name, sandbox.pod, config.restartCount), {
      Image: config.image,
      ...entrypointAndCmd(config),
      Env: (config.env ?? []).map((e) => `${e.name}=${e.value}`),
      WorkingDir: config.workingDir,
      User: config.user,
      Tty: config.tty ?? false,
      OpenStdin: config.stdin ?? false,
      StdinOnce: config.stdinOnce ?? false,
      Labels: labels,
      HostConfig: {
        NetworkMode: joinSandbox,
        IpcMode: joinSandbox,
        PidMode: pidMode,
        // As dockershim: a host-network pod also uses the host's hostname.
        UTSMode: sandbox.hostNetwork ? 'host' : '',
        Binds: (config.mounts ?? []).map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`),
        CpuShares: resources.cpuShares,
        CpuQuota: resources.cpuQuota,
        CpuPeriod: resources.cpuPeriod,
        Memory: resources.memoryLimitBytes,
        // Equal to Memory: no swap on top of the limit, so exceeding it is an OOM kill as on a kubelet node.
        MemorySwap: resources.memoryLimitBytes,
        OomScoreAdj: resources.oomScoreAdj,
        Privileged: config.privileged ?? false,
        ReadonlyRootfs: config.readOnlyRootFilesystem ?? false,
        CapAdd: config.capAdd,
        CapDrop: config.capDrop,
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        LogConfig: LOG_CONFIG,
      },
    });
  }

  async startContainer(id: string): Promise<void> {
    // 304: already started.
    await tolerating([304], () => this.docker.getContainer(id).start());
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const t = Math.max(0, Math.ceil(gracePeriodSeconds));
    // 304: already stopped; 404: already gone.
    await tolerating([304, 404], () => this.docker.getContainer(id).stop({ t }));
  }

  async removeContainer(id: string): Promise<void> {
    // 404: already gone; 409: a removal is already in progress.
    await tolerating([404, 409], () => this.docker.getContainer(id).remove({ force: true, v: true }));
  }

  async listContainers(filter: ListFilter = {}): Promise<ContainerSummary[]> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: this.listFilters(CONTAINER_TYPE_CONTAINER, filter) },
    });
    return list.map((c) => ({
      id: c.Id,
      sandboxId: c.Labels[LABEL_SANDBOX_ID] ?? '',
      pod: podRefOf(c.Labels),
      name: c.Labels[LABEL_CONTAINER_NAME] ?? '',
      image: c.Image,
      state: containerStateOf(c.State),
      createdAt: c.Created * 1000,
      restartCount: intLabel(c.Labels, LABEL_RESTART_COUNT),
      hash: c.Labels[LABEL_CONTAINER_HASH],
      labels: c.Labels,
    }));
  }

  async inspectContainer(id: string): Promise<ContainerStatus | undefined> {
    const info = await this.inspectRaw(id);
    const labels = info?.Config.Labels ?? {};
    if (!info || labels[LABEL_CONTAINER_TYPE] !== CONTAINER_TYPE_CONTAINER) return undefined;
    const state = containerStateOf(info.State.Status);
    const exited = state === 'exited';
    const startedAt = dockerTime(info.State.StartedAt);
    // Docker stamps StartedAt once start() returns, so a process that exits at once can show a
    // finish a little before its start; nothing downstream should see a negative run time.
    const finishedAt = exited ? dockerTime(info.State.FinishedAt) : undefined;
    return {
      id: info.Id,
      sandboxId: labels[LABEL_SANDBOX_ID] ?? '',
      pod: podRefOf(labels),
      name: labels[LABEL_CONTAINER_NAME] ?? '',
      image: info.Config.Image,
      imageRef: await this.imageRef(info.Image),
      state,
      createdAt: Date.parse(info.Created),
      startedAt,
      finishedAt:
        finishedAt !== undefined && startedAt !== undefined ? Math.max(finishedAt, startedAt) : finishedAt,
      exitCode: exited ? info.State.ExitCode : undefined,
      reason: exited ? terminationReason(info.State.ExitCode, info.State.OOMKilled) : undefined,
      message: exited && info.State.Error ? info.State.Error : undefined,
      oomKilled: info.State.OOMKilled,
      restartCount: intLabel(labels, LABEL_RESTART_COUNT),
      hash: labels[LABEL_CONTAINER_HASH],
      labels,
    };
  }

  async logs(id: string, options: LogOptions = {}): Promise<Readable> {
    const container = this.docker.getContainer(id);
    const info = await container.inspect();
    const query = {
      stdout: true,
      stderr: true,
      timestamps: options.timestamps ?? false,
      tail: options.tailLines,
      // Docker takes fractional seconds, so a sinceTime keeps its milliseconds.
      since: options.sinceTime === undefined ? undefined : (options.sinceTime / 1000).toFixed(3),
      abortSignal: options.signal,
    };
    if (!options.follow) {
      const body = await container.logs({ ...query, follow: false });
      const bytes = info.Config.Tty ? body : Buffer.concat(demuxBuffer(body).map((f) => f.payload));
      return Readable.from([bytes]);
    }
    const raw = (await container.logs({ ...query, follow: true })) as Readable;
    const out = info.Config.Tty ? new PassThrough() : new DemuxTransform();
    // An abort is the caller's way to stop following: the stream ends cleanly instead of failing.
    raw.on('error', (err) => (options.signal?.aborted ? out.end() : out.destroy(err)));
    raw.on('close', () => {
      if (!out.writableEnded) out.end();
    });
    // The consumer going away must free the Docker connection, or followed streams pile up.
    out.on('close', () => raw.destroy());
    options.signal?.addEventListener('abort', () => raw.destroy(), { once: true });
    return raw.pipe(out);
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.docker.getContainer(id).exec({
      Cmd: command,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
    const output = { stdout: '', stderr: '' };
    const parser = new FrameParser();
    const finished = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        resolve(false);
      }, timeoutMs);
      stream.on('data', (chunk: Buffer) => {
        for (const frame of parser.push(chunk)) {
          if (frame.stream === 'stdin') continue;
          const room = EXEC_OUTPUT_LIMIT - output[frame.stream].length;
          if (room > 0) output[frame.stream] += frame.payload.toString('utf8', 0, room);
        }
      });
      stream.on('end', () => {
        clearTimeout(timer);
        resolve(true);
      });
      stream.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    if (!finished) return { exitCode: -1, ...output, timedOut: true };
    const result = await exec.inspect();
    return { exitCode: result.ExitCode ?? -1, ...output, timedOut: false };
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return {
        id: info.Id,
        repoTags: info.RepoTags ?? [],
        repoDigests: info.RepoDigests ?? [],
        size: info.Size,
      };
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  async pullImage(image: string, signal?: AbortSignal): Promise<ImageInfo> {
    try {
      const stream = (await this.docker.pull(image, { abortSignal: signal })) as Readable;
      const events = await new Promise<{ error?: string }[]>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) =>
          err ? reject(err) : resolve(out),
        );
      });
      const failed = events.find((e) => e.error);
      if (failed) throw new Error(failed.error);
    } catch (err) {
      throw new ImagePullError(image, `failed to pull image "${image}": ${messageOf(err).trim()}`);
    }
    const info = await this.imageStatus(image);
    if (!info) throw new ImagePullError(image, `image "${image}" not present after pull`);
    return info;
  }

  private podLabels(pod: PodRef, containerName: string): Record<string, string> {
    return {
      ...this.ownership,
      [LABEL_POD_NAME]: pod.name,
      [LABEL_POD_NAMESPACE]: pod.namespace,
      [LABEL_POD_UID]: pod.uid,
      [LABEL_CONTAINER_NAME]: containerName,
    };
  }

  private ownershipFilters(): string[] {
    return Object.entries(this.ownership).map(([k, v]) => `${k}=${v}`);
  }

  private listFilters(type: string, filter: ListFilter): string[] {
    const labels = [...this.ownershipFilters(), `${LABEL_CONTAINER_TYPE}=${type}`];
    if (filter.podUid) labels.push(`${LABEL_POD_UID}=${filter.podUid}`);
    return labels;
  }

  /** A leftover container with the same name (a crash between create and bookkeeping) must not block. */
  private async createNamed(name: string, options: Docker.ContainerCreateOptions): Promise<string> {
    try {
      return (await this.docker.createContainer({ ...options, name })).id;
    } catch (err) {
      if (statusCodeOf(err) !== 409) throw err;
      const suffix = crypto.randomBytes(4).toString('hex');
      return (await this.docker.createContainer({ ...options, name: `${name}_${suffix}` })).id;
    }
  }

  private async inspectRaw(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async imageRef(imageId: string): Promise<string> {
    const known = this.imageRefs.get(imageId);
    if (known) return known;
    const info = await this.imageStatus(imageId);
    const ref = imageRefFor(imageId, info?.repoDigests ?? []);
    if (info) this.imageRefs.set(imageId, ref);
    return ref;
  }

  private toSandboxStatus(
    id: string,
    labels: Record<string, string>,
    state: ContainerState,
    createdAt: number,
    networks: Record<string, { IPAddress?: string }> | undefined,
  ): SandboxStatus {
    const hostNetwork = labels[LABEL_HOST_NETWORK] === 'true';
    const running = state === 'running';
    const ip = running && !hostNetwork ? networks?.[this.network]?.IPAddress || undefined : undefined;
    return {
      id,
      pod: podRefOf(labels),
      attempt: intLabel(labels, LABEL_SANDBOX_ATTEMPT),
      state: running ? 'ready' : 'notready',
      createdAt,
      ip,
      hostNetwork,
      labels,
    };
  }
}

/**
 * A user-defined bridge for pods, for a node that needs a pod CIDR of its own (e.g. 10.244.<n>.0/24 so
 * several hosts can route to each other's pods). Idempotent; an existing network is kept as it is.
 */
export async function ensurePodNetwork(
  docker: Docker,
  network: { name: string; subnet: string; bridgeName?: string },
): Promise<void> {
  const existing = await docker.listNetworks({ filters: { name: [network.name] } });
  if (existing.some((n) => n.Name === network.name)) return;
  await tolerating([409], () =>
    docker.createNetwork({
      Name: network.name,
      Driver: 'bridge',
      IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet }] },
      Options: network.bridgeName ? { 'com.docker.network.bridge.name': network.bridgeName } : {},
      Labels: { [LABEL_MANAGED]: 'true' },
    }),
  );
}
