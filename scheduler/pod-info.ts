/**
 * PodInfo: a pod parsed once for scheduling (requests, host ports, affinity terms, owner, priority), so
 * filters and scores running against hundreds of nodes per cycle never re-read the JSON.
 *
 * Contract:
 * - `PodInfo.of(pod)` memoises per pod object; informers hand out a new object on every change, so a
 *   memoised PodInfo never goes stale. The pod object must not be mutated afterwards.
 * - Affinity terms follow upstream's AffinityTerm: no namespaces and no namespaceSelector means the pod's
 *   own namespace; a term matches a pod when the namespace fits and the label selector matches.
 * - A term whose label selector is invalid makes the whole pod a `parseError` with no terms, as upstream's
 *   PodInfo.Update; InterPodAffinity then rejects that pod rather than guessing.
 */

import {
  LabelSelectorParseError,
  labelSelectorFromSpec,
  type LabelSelector,
} from '../machinery/label-selector.js';
import type { Pod, PodAffinityTerm, Toleration, WeightedPodAffinityTerm } from './api-types.js';
import { podRequests, type Resources } from './resources.js';

export interface HostPort {
  /** `0.0.0.0` when the port binds every address. */
  ip: string;
  protocol: string;
  port: number;
}

export const BIND_ALL_HOST_IP = '0.0.0.0';

export interface AffinityTerm {
  namespaces: ReadonlySet<string>;
  namespaceSelector: LabelSelector;
  selector: LabelSelector;
  /** `selector.matches`, compiled; this runs once per placed pod per cycle for pods with affinity. */
  matchesLabels: LabelMatcher;
  topologyKey: string;
}

export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean;

function hasOwnLabel(labels: Readonly<Record<string, string>>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

/**
 * The selector as a plain function. Equality-only selectors (matchLabels, the common case) become a
 * tight loop; anything else defers to LabelSelector.matches.
 */
export function compileSelector(selector: LabelSelector): LabelMatcher {
  if (selector.matchesNothing()) return () => false;
  const requirements = selector.requirements;
  if (requirements.length === 0) return () => true;
  const equalities = requirements.every(
    (r) => r.operator === '=' || r.operator === '==' || (r.operator === 'in' && r.values.length === 1),
  );
  if (!equalities) return (labels) => selector.matches(labels);
  const keys = requirements.map((r) => r.key);
  const values = requirements.map((r) => r.values[0]);
  return (labels) => {
    for (let i = 0; i < keys.length; i++) {
      if (labels[keys[i]] !== values[i] || !hasOwnLabel(labels, keys[i])) return false;
    }
    return true;
  };
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

/** Labels of a namespace, for terms with a namespaceSelector; undefined when unknown. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>> | undefined;

/** AffinityTerm.Matches: the pod's namespace is listed or selected, and its labels match. */
export function affinityTermMatches(
  term: AffinityTerm,
  pod: PodInfo,
  namespaceLabels?: NamespaceLabels,
): boolean {
  if (!term.namespaces.has(pod.namespace)) {
    if (term.namespaceSelector.matchesNothing()) return false;
    if (!term.namespaceSelector.isEmpty()) {
      if (!term.namespaceSelector.matches(namespaceLabels?.(pod.namespace) ?? {})) return false;
    }
  }
  return term.matchesLabels(pod.labels);
}

/** Whether the pod matches every term; false for an empty list, as upstream. */
export function podMatchesAllAffinityTerms(terms: readonly AffinityTerm[], pod: PodInfo): boolean {
  if (terms.length === 0) return false;
  for (const term of terms) {
    if (!affinityTermMatches(term, pod)) return false;
  }
  return true;
}

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_TERMS: readonly never[] = Object.freeze([]);

function toAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const listed = term.namespaces ?? [];
  const namespaces =
    listed.length === 0 && !term.namespaceSelector
      ? new Set([pod.metadata?.namespace ?? ''])
      : new Set(listed);
  const selector = labelSelectorFromSpec(term.labelSelector);
  return {
    namespaces,
    namespaceSelector: labelSelectorFromSpec(term.namespaceSelector),
    selector,
    matchesLabels: compileSelector(selector),
    topologyKey: term.topologyKey,
  };
}

function toWeightedTerms(
  pod: Pod,
  terms: readonly WeightedPodAffinityTerm[] | null | undefined,
): WeightedAffinityTerm[] {
  return (terms ?? []).map((t) => ({ ...toAffinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
}

function hostPortsOf(pod: Pod): HostPort[] {
  const ports: HostPort[] = [];
  const spec = pod.spec ?? {};
  // Sidecars keep their ports for the pod's whole life; ordinary init containers have exited by then.
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const container of [...(spec.containers ?? []), ...sidecars]) {
    for (const p of container.ports ?? []) {
      const port = p.hostPort ?? 0;
      if (port <= 0) continue;
      ports.push({ ip: p.hostIP || BIND_ALL_HOST_IP, protocol: p.protocol || 'TCP', port });
    }
  }
  return ports;
}

const memo = new WeakMap<Pod, PodInfo>();

export class PodInfo {
  /** Cache and queue key: the UID, as upstream; namespace/name only for objects that have none. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly nodeName: string;
  readonly priority: number;
  readonly terminating: boolean;
  readonly tolerations: readonly Toleration[];
  /** UID of the owner reference with controller=true, for spreading replicas of one owner. */
  readonly controllerUid: string | undefined;
  /** What NodeResourcesFit checks and NodeInfo.requested sums. */
  readonly requests: Resources;
  /** The same with 100m/200Mi for unnamed requests, which the allocation scores use. */
  readonly nonZeroRequests: Resources;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
  readonly parseError: string | undefined;

  private constructor(
    readonly pod: Pod,
    /** Parsed from the same pod but for spec.nodeName: its fields are reused as they are. */
    same?: PodInfo,
  ) {
    if (same) {
      this.namespace = same.namespace;
      this.name = same.name;
      this.key = same.key;
      this.labels = same.labels;
      this.nodeName = pod.spec?.nodeName ?? '';
      this.priority = same.priority;
      this.terminating = same.terminating;
      this.tolerations = same.tolerations;
      this.controllerUid = same.controllerUid;
      this.requests = same.requests;
      this.nonZeroRequests = same.nonZeroRequests;
      this.hostPorts = same.hostPorts;
      this.requiredAffinityTerms = same.requiredAffinityTerms;
      this.requiredAntiAffinityTerms = same.requiredAntiAffinityTerms;
      this.preferredAffinityTerms = same.preferredAffinityTerms;
      this.preferredAntiAffinityTerms = same.preferredAntiAffinityTerms;
      this.parseError = same.parseError;
      return;
    }
    const meta = pod.metadata ?? {};
    const spec = pod.spec ?? {};
    this.namespace = meta.namespace ?? '';
    this.name = meta.name ?? '';
    this.key = meta.uid || `${this.namespace}/${this.name}`;
    this.labels = meta.labels ?? EMPTY_LABELS;
    this.nodeName = spec.nodeName ?? '';
    this.priority = spec.priority ?? 0;
    this.terminating = Boolean(meta.deletionTimestamp);
    this.tolerations = spec.tolerations ?? NO_TERMS;
    this.controllerUid = meta.ownerReferences?.find((r) => r.controller === true)?.uid;
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
    this.hostPorts = hostPortsOf(pod);

    const affinity = spec.affinity;
    let parseError: string | undefined;
    let terms: Pick<
      PodInfo,
      | 'requiredAffinityTerms'
      | 'requiredAntiAffinityTerms'
      | 'preferredAffinityTerms'
      | 'preferredAntiAffinityTerms'
    > = {
      requiredAffinityTerms: NO_TERMS,
      requiredAntiAffinityTerms: NO_TERMS,
      preferredAffinityTerms: NO_TERMS,
      preferredAntiAffinityTerms: NO_TERMS,
    };
    if (affinity?.podAffinity || affinity?.podAntiAffinity) {
      try {
        const required = (list: readonly PodAffinityTerm[] | null | undefined): AffinityTerm[] =>
          (list ?? []).map((t) => toAffinityTerm(pod, t));
        terms = {
          requiredAffinityTerms: required(
            affinity.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
          ),
          requiredAntiAffinityTerms: required(
            affinity.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
          ),
          preferredAffinityTerms: toWeightedTerms(
            pod,
            affinity.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
          ),
          preferredAntiAffinityTerms: toWeightedTerms(
            pod,
            affinity.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
          ),
        };
      } catch (error) {
        if (!(error instanceof LabelSelectorParseError)) throw error;
        parseError = error.message;
      }
    }
    this.requiredAffinityTerms = terms.requiredAffinityTerms;
    this.requiredAntiAffinityTerms = terms.requiredAntiAffinityTerms;
    this.preferredAffinityTerms = terms.preferredAffinityTerms;
    this.preferredAntiAffinityTerms = terms.preferredAntiAffinityTerms;
    this.parseError = parseError;
  }

  static of(pod: Pod): PodInfo {
    let info = memo.get(pod);
    if (!info) {
      info = new PodInfo(pod);
      memo.set(pod, info);
    }
    return info;
  }

  /**
   * The pod as assumed onto `nodeName`: a copy of the pod with spec.nodeName set, parsed by reusing
   * this one's fields (nothing else in it depends on the node).
   */
  withNodeName(nodeName: string): PodInfo {
    const assumed: Pod = { ...this.pod, spec: { ...this.pod.spec, nodeName } };
    const info = new PodInfo(assumed, this);
    memo.set(assumed, info);
    return info;
  }

  /** Upstream's NodeInfo.PodsWithAffinity membership: any affinity or anti-affinity, required or not. */
  hasAffinity(): boolean {
    return (
      this.requiredAffinityTerms.length > 0 ||
      this.requiredAntiAffinityTerms.length > 0 ||
      this.preferredAffinityTerms.length > 0 ||
      this.preferredAntiAffinityTerms.length > 0
    );
  }

  hasRequiredAntiAffinity(): boolean {
    return this.requiredAntiAffinityTerms.length > 0;
  }
}
