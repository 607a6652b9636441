/**
 * ContainerRuntime: everything the kubelet asks of the machine that runs containers, modelled on the
 * CRI the upstream kubelet talks to, cut down to what Kubicle uses.
 *
 * Contract:
 * - A pod is one sandbox (holding the network namespace, and with it the pod IP) plus its containers,
 *   which join the sandbox's network and IPC namespaces. Sandboxes and containers are both identified
 *   by the runtime's container id.
 * - Everything the runtime creates carries the ownership labels below; `listSandboxes` and
 *   `listContainers` only ever return objects owned by this runtime instance (this node, and any
 *   extra ownership labels it was configured with), so two kubelets sharing one Docker never see, adopt
 *   or garbage-collect each other's containers. State is read back from those labels alone, which is
 *   what lets a restarted kubelet adopt what is already running.
 * - stop and remove are idempotent: a container that is already stopped or gone is not an error.
 *   `inspectContainer` and `sandboxStatus` resolve to undefined for a container that does not exist.
 * - `pullImage` rejects with `ImagePullError` (the kubelet's ErrImagePull); every other failure rejects
 *   with the runtime's own error, and the kubelet classifies it by the step that failed.
 * - Times are epoch milliseconds; undefined means "never happened" (a created container has no start).
 */
import type { Readable } from 'node:stream';

/** Set on everything Kubicle creates; the only thing listing trusts. */
export const LABEL_MANAGED = 'kubicle.managed';
/** The node whose kubelet owns the object. */
export const LABEL_NODE = 'kubicle.node';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** `podsandbox` or `container`, as dockershim labelled them. */
export const LABEL_CONTAINER_TYPE = 'io.kubernetes.docker.type';
export const LABEL_SANDBOX_ID = 'io.kubernetes.sandbox.id';
export const LABEL_SANDBOX_ATTEMPT = 'io.kubernetes.sandbox.attempt';
export const LABEL_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const LABEL_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const LABEL_HOST_NETWORK = 'io.kubernetes.pod.hostNetwork';

export const CONTAINER_TYPE_SANDBOX = 'podsandbox';
export const CONTAINER_TYPE_CONTAINER = 'container';
/** The container name upstream gives the sandbox in labels and container names. */
export const SANDBOX_CONTAINER_NAME = 'POD';

export interface PodRef {
  uid: string;
  name: string;
  namespace: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  /** resolv.conf options such as `ndots:5`. */
  options: string[];
}

export interface PortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  hostIP?: string;
}

export interface HostAlias {
  ip: string;
  hostnames: string[];
}

export interface SandboxConfig {
  pod: PodRef;
  /** 0 for the pod's first sandbox, +1 each time it has to be recreated. */
  attempt: number;
  hostname: string;
  hostNetwork?: boolean;
  hostIPC?: boolean;
  hostPID?: boolean;
  /** Containers see each other's processes (spec.shareProcessNamespace). */
  shareProcessNamespace?: boolean;
  /** Omitted: the runtime's default resolver configuration (dnsPolicy Default). */
  dns?: DnsConfig;
  portMappings?: PortMapping[];
  hostAliases?: HostAlias[];
  /** Extra labels, e.g. the pod's own labels; ownership labels always win. */
  labels?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

/** Linux cgroup settings, already converted from the container's requests and limits. */
export interface LinuxResources {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
  oomScoreAdj?: number;
}

export interface ContainerConfig {
  name: string;
  /** The image as written in the pod spec. */
  image: string;
  /** Kubernetes semantics: command replaces the image's ENTRYPOINT (and drops its CMD), args its CMD. */
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  mounts?: Mount[];
  resources?: LinuxResources;
  /** `uid`, `uid:gid` or a user name. */
  user?: string;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  /** How many times this container has been restarted before; stored so status survives restarts. */
  restartCount: number;
  /** The spec hash the kubelet compares to detect a changed container definition. */
  hash?: string;
  labels?: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';
export type SandboxState = 'ready' | 'notready';

export interface SandboxStatus {
  id: string;
  pod: PodRef;
  attempt: number;
  state: SandboxState;
  createdAt: number;
  /** The pod IP; undefined for host-network sandboxes and sandboxes that are not running. */
  ip?: string;
  hostNetwork: boolean;
  labels: Record<string, string>;
}

/** What a list returns for one container: enough for the PLEG, no per-container inspect needed. */
export interface ContainerSummary {
  id: string;
  sandboxId: string;
  pod: PodRef;
  /** The container's name in the pod spec. */
  name: string;
  image: string;
  state: ContainerState;
  createdAt: number;
  restartCount: number;
  hash?: string;
  labels: Record<string, string>;
}

export interface ContainerStatus extends ContainerSummary {
  /** `docker-pullable://repo@sha256:…` when the image came from a registry, else `docker://sha256:…`. */
  imageRef: string;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** For exited containers: `OOMKilled`, `Completed` or `Error`, as dockershim reported them. */
  reason?: string;
  message?: string;
  oomKilled: boolean;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  timestamps?: boolean;
  /** Only lines written at or after this time (epoch ms). */
  sinceTime?: number;
  /** Stops a followed stream; the returned stream then ends. */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
  kernelVersion: string;
  os: string;
  arch: string;
}

export interface ListFilter {
  podUid?: string;
}

export interface ContainerRuntime {
  /** `docker`: the scheme of containerIDs and the prefix of nodeInfo.containerRuntimeVersion. */
  readonly type: string;
  version(): Promise<RuntimeVersion>;
  /** Resolves when the runtime answers; the node's Ready condition follows it. */
  ping(): Promise<void>;

  createSandbox(config: SandboxConfig): Promise<string>;
  startSandbox(id: string): Promise<void>;
  stopSandbox(id: string, gracePeriodSeconds?: number): Promise<void>;
  removeSandbox(id: string): Promise<void>;
  sandboxStatus(id: string): Promise<SandboxStatus | undefined>;
  listSandboxes(filter?: ListFilter): Promise<SandboxStatus[]>;

  createContainer(sandboxId: string, config: ContainerConfig, sandbox: SandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Sends the stop signal, waits up to the grace period, then kills. */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ListFilter): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerStatus | undefined>;

  /** stdout and stderr interleaved as written, as `kubectl logs` shows them. */
  logs(id: string, options?: LogOptions): Promise<Readable>;
  /** Runs a command in a running container and collects its output (for exec probes and preStop). */
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;

  imageStatus(image: string): Promise<ImageInfo | undefined>;
  pullImage(image: string, signal?: AbortSignal): Promise<ImageInfo>;
}

/** The kubelet reports this as ErrImagePull and backs off with ImagePullBackOff. */
export class ImagePullError extends Error {
  readonly reason = 'ErrImagePull';
  constructor(
    readonly image: string,
    message: string,
  ) {
    super(message);
    this.name = 'ImagePullError';
  }
}

/** dockershim's reason for an exited container. */
export function terminationReason(exitCode: number, oomKilled: boolean): string {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

/** `docker-pullable://` names an image by registry digest, which survives re-tagging; local images have none. */
export function imageRefFor(imageId: string, repoDigests: string[]): string {
  if (repoDigests.length > 0) return `docker-pullable://${repoDigests[0]}`;
  return `docker://${imageId}`;
}
