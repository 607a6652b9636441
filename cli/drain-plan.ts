/**
 * Which pods `drain` may evict from a node, as kubectl's drain helper decides: each pod goes through
 * kubectl's filters in order (DaemonSet, mirror, local storage, unreplicated) until one keeps it;
 * like kubectl, only the last verdict of a pod counts. Refusals become errors (`cannot delete ...`),
 * tolerated cases warnings. Pure.
 */
import type { KubeObject } from '../apiserver/api-object.js';

export interface DrainOptions {
  ignoreDaemonSets: boolean;
  deleteEmptyDirData: boolean;
  force: boolean;
}

type Verdict =
  | { kind: 'okay' }
  | { kind: 'skip' }
  | { kind: 'warning'; evict: boolean; message: string }
  | { kind: 'error'; message: string };

export interface DrainPlan {
  /** The pods to evict. */
  evict: KubeObject[];
  /** `ignoring DaemonSet-managed Pods: ns/a, ns/b; deleting Pods ...`, or '' when none. */
  warnings: string;
  /** `cannot delete <reason>: ns/a, ns/b`, one per reason. */
  errors: string[];
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

function finished(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function controllerOf(pod: KubeObject) {
  return (pod.metadata.ownerReferences ?? []).find((r) => r.controller);
}

function hasLocalStorage(pod: KubeObject): boolean {
  const volumes = (pod.spec as { volumes?: { emptyDir?: unknown }[] } | undefined)?.volumes ?? [];
  return volumes.some((v) => v.emptyDir !== undefined && v.emptyDir !== null);
}

type Filter = (pod: KubeObject) => Verdict;

function filters(options: DrainOptions, missingDaemonSets: ReadonlySet<string>): Filter[] {
  const okay: Verdict = { kind: 'okay' };
  return [
    (pod) => {
      const ref = controllerOf(pod);
      if (!ref || ref.kind !== 'DaemonSet' || finished(pod)) return okay;
      if (missingDaemonSets.has(`${pod.metadata.namespace}/${ref.name}`)) {
        const message = `daemonsets.apps "${ref.name}" not found`;
        return options.force ? { kind: 'warning', evict: true, message } : { kind: 'error', message };
      }
      if (!options.ignoreDaemonSets)
        return { kind: 'error', message: 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)' };
      return { kind: 'warning', evict: false, message: 'ignoring DaemonSet-managed Pods' };
    },
    (pod) => (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined ? { kind: 'skip' } : okay),
    (pod) => {
      if (!hasLocalStorage(pod) || finished(pod)) return okay;
      if (!options.deleteEmptyDirData)
        return { kind: 'error', message: 'Pods with local storage (use --delete-emptydir-data to override)' };
      return { kind: 'warning', evict: true, message: 'deleting Pods with local storage' };
    },
    (pod) => {
      if (finished(pod) || controllerOf(pod)) return okay;
      if (options.force)
        return { kind: 'warning', evict: true, message: 'deleting Pods that declare no controller' };
      return { kind: 'error', message: 'Pods that declare no controller (use --force to override)' };
    },
  ];
}

function evicts(verdict: Verdict): boolean {
  return verdict.kind === 'okay' || (verdict.kind === 'warning' && verdict.evict);
}

function grouped(entries: [string, string][]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const [message, pod] of entries) groups.set(message, [...(groups.get(message) ?? []), pod]);
  return [...groups.entries()];
}

/**
 * `missingDaemonSets` holds `namespace/name` of DaemonSets that pods name as controller but that no
 * longer exist (kubectl looks each one up).
 */
export function planDrain(
  pods: readonly KubeObject[],
  options: DrainOptions,
  missingDaemonSets: ReadonlySet<string> = new Set(),
): DrainPlan {
  const evict: KubeObject[] = [];
  const warnings: [string, string][] = [];
  const errors: [string, string][] = [];
  const chain = filters(options, missingDaemonSets);
  for (const pod of pods) {
    let verdict: Verdict = { kind: 'okay' };
    for (const filter of chain) {
      verdict = filter(pod);
      if (!evicts(verdict)) break;
    }
    const id = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    if (verdict.kind === 'warning') warnings.push([verdict.message, id]);
    if (verdict.kind === 'error') errors.push([verdict.message, id]);
    if (evicts(verdict)) evict.push(pod);
  }
  return {
    evict,
    warnings: grouped(warnings)
      .map(([message, ids]) => `${message}: ${ids.join(', ')}`)
      .join('; '),
    errors: grouped(errors).map(([message, ids]) => `cannot delete ${message}: ${ids.join(', ')}`),
  };
}

/** `namespace/name` of every DaemonSet the pods name as their controller, for looking them up. */
export function daemonSetsNamed(pods: readonly KubeObject[]): string[] {
  const names = new Set<string>();
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (ref?.kind === 'DaemonSet') names.add(`${pod.metadata.namespace}/${ref.name}`);
  }
  return [...names];
}
