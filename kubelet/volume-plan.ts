/**
 * Volume planning: what each of a pod's volumes is on this host, and where each container mounts
 * it, from objects the caller already looked up (no file system access here; volume-manager.ts
 * makes the plan real).
 *
 * Contract:
 * - Every volume lives under `<dataDir>/pods/<uid>/volumes/<plugin>/<name>` (upstream's layout), except
 *   hostPath, which is the host path itself.
 * - emptyDir: an empty directory (medium Memory is a plain directory too). hostPath: the path, which
 *   `DirectoryOrCreate`/`FileOrCreate` create and `Directory`/`File`/`Socket`... require.
 * - configMap, secret, downwardAPI and projected (of those three) become files: all keys, or only
 *   `items` (key → path, with mode), with `defaultMode` (0644 unless set). A missing ConfigMap,
 *   Secret or key is an error unless `optional`; errors are collected per volume, and the pod's
 *   containers wait (upstream's FailedMount) until they are gone. serviceAccountToken projections are
 *   skipped: Kubicle issues no tokens.
 * - `containerMounts` maps a container's volumeMounts onto host paths (subPath appended); a mount of
 *   an unknown or unusable volume throws ContainerConfigError. File volumes are always read-only.
 */
import path from 'node:path';
import type { ConfigMap, Container, Pod, Secret } from './api-types.js';
import { ContainerConfigError, podFieldValue, resourceFieldValue } from './container-env.js';
import type { Mount } from './runtime/runtime.js';

export interface VolumeFile {
  /** Relative to the volume's directory. */
  path: string;
  content: Buffer;
  mode: number;
}

export type PlannedVolume =
  | { name: string; kind: 'emptyDir'; hostPath: string }
  | { name: string; kind: 'hostPath'; hostPath: string; type: string }
  | { name: string; kind: 'files'; hostPath: string; files: VolumeFile[] };

export interface VolumeSources {
  configMaps: ReadonlyMap<string, ConfigMap>;
  secrets: ReadonlyMap<string, Secret>;
  podIPs?: string[];
  hostIPs?: string[];
}

export interface VolumePlan {
  volumes: PlannedVolume[];
  /** By volume name: why it cannot be set up (yet). */
  errors: Map<string, string>;
}

const DEFAULT_MODE = 0o644;

type Volume = NonNullable<NonNullable<Pod['spec']>['volumes']>[number];
type KeyToPath = { key: string; path: string; mode?: number };

export function podDir(dataDir: string, uid: string): string {
  return path.join(dataDir, 'pods', uid);
}

function volumeDir(dataDir: string, uid: string, plugin: string, name: string): string {
  return path.join(podDir(dataDir, uid), 'volumes', `kubernetes.io~${plugin}`, name);
}

function decodeBase64(value: string): Buffer {
  return Buffer.from(value, 'base64');
}

function configMapData(configMap: ConfigMap): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(configMap.data ?? {})) data.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(configMap.binaryData ?? {})) data.set(k, decodeBase64(v));
  return data;
}

function secretData(secret: Secret): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) data.set(k, decodeBase64(v));
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data.set(k, Buffer.from(v, 'utf8'));
  return data;
}

/** Keys to files, as upstream's MakePayload: all keys, or the listed items (each must exist unless optional). */
function keyFiles(
  kind: 'configmap' | 'secret',
  data: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
): VolumeFile[] {
  if (!items?.length) {
    return [...data].map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  }
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = data.get(item.key);
    if (content === undefined) {
      if (optional) continue;
      const what =
        kind === 'configmap'
          ? 'configmap references non-existent config'
          : 'secret references non-existent secret';
      throw new Error(`${what} key: ${item.key}`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? defaultMode });
  }
  return files;
}

type DownwardItem = NonNullable<NonNullable<Volume['downwardAPI']>['items']>[number];

function downwardFiles(
  pod: Pod,
  items: DownwardItem[],
  defaultMode: number,
  sources: VolumeSources,
): VolumeFile[] {
  return items.map((item) => {
    let value = '';
    if (item.fieldRef) value = podFieldValue(item.fieldRef.fieldPath, pod, sources);
    else if (item.resourceFieldRef) {
      const containers = pod.spec?.containers ?? [];
      const container = containers.find((c) => c.name === item.resourceFieldRef!.containerName) ??
        containers[0] ?? { name: '' };
      value = resourceFieldValue(item.resourceFieldRef, pod, container);
    }
    return { path: item.path, content: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode };
  });
}

function configMapFiles(
  source: { name?: string; items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
  sources: VolumeSources,
): VolumeFile[] {
  const name = source.name ?? '';
  const configMap = sources.configMaps.get(name);
  if (!configMap) {
    if (source.optional) return [];
    throw new Error(`configmap "${name}" not found`);
  }
  return keyFiles('configmap', configMapData(configMap), source.items, defaultMode, source.optional === true);
}

function secretFiles(
  source: { secretName?: string; name?: string; items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
  sources: VolumeSources,
): VolumeFile[] {
  const name = source.secretName ?? source.name ?? '';
  const secret = sources.secrets.get(name);
  if (!secret) {
    if (source.optional) return [];
    throw new Error(`secret "${name}" not found`);
  }
  return keyFiles('secret', secretData(secret), source.items, defaultMode, source.optional === true);
}

function planVolume(pod: Pod, volume: Volume, dataDir: string, sources: VolumeSources): PlannedVolume {
  const uid = pod.metadata?.uid ?? '';
  const { name } = volume;
  if (volume.hostPath)
    return { name, kind: 'hostPath', hostPath: volume.hostPath.path, type: volume.hostPath.type ?? '' };
  if (volume.emptyDir)
    return { name, kind: 'emptyDir', hostPath: volumeDir(dataDir, uid, 'empty-dir', name) };
  if (volume.configMap) {
    const mode = volume.configMap.defaultMode ?? DEFAULT_MODE;
    const files = configMapFiles(volume.configMap, mode, sources);
    return { name, kind: 'files', hostPath: volumeDir(dataDir, uid, 'configmap', name), files };
  }
  if (volume.secret) {
    const mode = volume.secret.defaultMode ?? DEFAULT_MODE;
    const files = secretFiles(volume.secret, mode, sources);
    return { name, kind: 'files', hostPath: volumeDir(dataDir, uid, 'secret', name), files };
  }
  if (volume.downwardAPI) {
    const mode = volume.downwardAPI.defaultMode ?? DEFAULT_MODE;
    const files = downwardFiles(pod, volume.downwardAPI.items ?? [], mode, sources);
    return { name, kind: 'files', hostPath: volumeDir(dataDir, uid, 'downward-api', name), files };
  }
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
    const files: VolumeFile[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) files.push(...configMapFiles(source.configMap, mode, sources));
      else if (source.secret) files.push(...secretFiles(source.secret, mode, sources));
      else if (source.downwardAPI)
        files.push(...downwardFiles(pod, source.downwardAPI.items ?? [], mode, sources));
    }
    return { name, kind: 'files', hostPath: volumeDir(dataDir, uid, 'projected', name), files };
  }
  throw new Error(`volume "${name}" is of a type Kubicle does not support`);
}

export function planPodVolumes(pod: Pod, dataDir: string, sources: VolumeSources): VolumePlan {
  const plan: VolumePlan = { volumes: [], errors: new Map() };
  for (const volume of pod.spec?.volumes ?? []) {
    try {
      plan.volumes.push(planVolume(pod, volume, dataDir, sources));
    } catch (err) {
      plan.errors.set(volume.name, err instanceof Error ? err.message : String(err));
    }
  }
  return plan;
}

/** The host side of each of the container's volumeMounts. */
export function containerMounts(container: Container, plan: VolumePlan): Mount[] {
  return (container.volumeMounts ?? []).map((mount) => {
    const failure = plan.errors.get(mount.name);
    if (failure) throw new ContainerConfigError(`volume "${mount.name}" is not ready: ${failure}`);
    const volume = plan.volumes.find((v) => v.name === mount.name);
    if (!volume)
      throw new ContainerConfigError(
        `cannot find volume "${mount.name}" to mount into container "${container.name}"`,
      );
    const subPath = mount.subPath ? path.join(volume.hostPath, mount.subPath) : volume.hostPath;
    if (mount.subPath && path.relative(volume.hostPath, subPath).startsWith('..')) {
      throw new ContainerConfigError(`subPath "${mount.subPath}" leaves volume "${mount.name}"`);
    }
    return {
      hostPath: subPath,
      containerPath: mount.mountPath,
      readOnly: mount.readOnly === true || volume.kind === 'files',
    };
  });
}
