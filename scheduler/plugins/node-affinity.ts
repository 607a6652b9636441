/**
 * NodeAffinity: spec.nodeSelector and required node affinity must match the node (Filter); preferred
 * terms add their weight to every node they match (Score).
 *
 * Contract, as component-helpers' nodeaffinity:
 * - Required terms are ORed; the expressions and fields inside a term are ANDed. A term with neither
 *   matches nothing, and so does a term containing an invalid requirement (wrong value count, a Gt/Lt
 *   value that is not an integer, an unknown operator).
 * - matchFields supports only `metadata.name` with In/NotIn and exactly one value.
 * - PreFilter narrows the candidate nodes when every term pins `metadata.name` (DaemonSet pods), and
 *   rejects the pod outright when those pins contradict each other.
 */

import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../api-types.js';
import {
  MAX_NODE_SCORE,
  Status,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type PreFilterNodeNames,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework.js';
import type { PodInfo } from '../pod-info.js';
import { defaultNormalizeScore } from './normalize-score.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';
const PRE_SCORE_KEY = 'PreScore' + NODE_AFFINITY;
const OBJECT_NAME_FIELD = 'metadata.name';

const REJECTED = Status.unresolvable(ERR_REASON_POD);
const CONFLICT = Status.unresolvable(ERR_REASON_CONFLICT);

type LabelCheck = (labels: Readonly<Record<string, string>>) => boolean;
type NameCheck = (nodeName: string) => boolean;

/** A node selector term turned into checks once; `undefined` for terms that can never match. */
interface CompiledTerm {
  labels: LabelCheck[];
  fields: NameCheck[];
}

const INTEGER = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(text: string): bigint | undefined {
  if (!INTEGER.test(text)) return undefined;
  const parsed = BigInt(text);
  return parsed < INT64_MIN || parsed > INT64_MAX ? undefined : parsed;
}

function has(labels: Readonly<Record<string, string>>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

function compileExpression(r: NodeSelectorRequirement): LabelCheck | undefined {
  const values = r.values ?? [];
  const { key } = r;
  switch (r.operator) {
    case 'In': {
      if (values.length === 0) return undefined;
      const set = new Set(values);
      return (labels) => has(labels, key) && set.has(labels[key]);
    }
    case 'NotIn': {
      if (values.length === 0) return undefined;
      const set = new Set(values);
      return (labels) => !has(labels, key) || !set.has(labels[key]);
    }
    case 'Exists':
      return values.length === 0 ? (labels) => has(labels, key) : undefined;
    case 'DoesNotExist':
      return values.length === 0 ? (labels) => !has(labels, key) : undefined;
    case 'Gt':
    case 'Lt': {
      const bound = values.length === 1 ? parseInt64(values[0]) : undefined;
      if (bound === undefined) return undefined;
      const greater = r.operator === 'Gt';
      return (labels) => {
        if (!has(labels, key)) return false;
        const actual = parseInt64(labels[key]);
        if (actual === undefined) return false;
        return greater ? actual > bound : actual < bound;
      };
    }
    default:
      return undefined;
  }
}

function compileField(r: NodeSelectorRequirement): NameCheck | undefined {
  const values = r.values ?? [];
  if (r.key !== OBJECT_NAME_FIELD || values.length !== 1) return undefined;
  const [wanted] = values;
  if (r.operator === 'In') return (name) => name === wanted;
  if (r.operator === 'NotIn') return (name) => name !== wanted;
  return undefined;
}

function compileTerm(term: NodeSelectorTerm): CompiledTerm | undefined {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return undefined;
  const compiled: CompiledTerm = { labels: [], fields: [] };
  for (const r of expressions) {
    const check = compileExpression(r);
    if (!check) return undefined;
    compiled.labels.push(check);
  }
  for (const r of fields) {
    const check = compileField(r);
    if (!check) return undefined;
    compiled.fields.push(check);
  }
  return compiled;
}

function termMatches(term: CompiledTerm, node: NodeInfo): boolean {
  for (const check of term.labels) if (!check(node.labels)) return false;
  for (const check of term.fields) if (!check(node.name)) return false;
  return true;
}

/** nodeaffinity.RequiredNodeAffinity: spec.nodeSelector plus required node affinity, ready to match. */
export class RequiredNodeAffinity {
  // spec.nodeSelector as parallel arrays: matches runs for hundreds of nodes per cycle.
  private readonly selectorKeys: readonly string[];
  private readonly selectorValues: readonly string[];
  /** undefined: no required affinity; otherwise the terms that can match (possibly none). */
  private readonly terms: readonly CompiledTerm[] | undefined;

  constructor(pod: Pod) {
    const selector = pod.spec?.nodeSelector ?? {};
    this.selectorKeys = Object.keys(selector);
    this.selectorValues = this.selectorKeys.map((key) => selector[key]);
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.terms = required
      ? (required.nodeSelectorTerms ?? []).map(compileTerm).filter((t): t is CompiledTerm => t !== undefined)
      : undefined;
  }

  isEmpty(): boolean {
    return this.selectorKeys.length === 0 && this.terms === undefined;
  }

  matches(node: NodeInfo): boolean {
    const labels = node.labels;
    for (let i = 0; i < this.selectorKeys.length; i++) {
      const key = this.selectorKeys[i];
      if (labels[key] !== this.selectorValues[i] || !has(labels, key)) return false;
    }
    if (this.terms === undefined) return true;
    return this.terms.some((term) => termMatches(term, node));
  }
}

const requiredMemo = new WeakMap<PodInfo, RequiredNodeAffinity>();
/**
 * Filter asks once per node for the same pod: the last answer spares a WeakMap lookup per node. It
 * keeps only the one pod of the latest cycle alive.
 */
let lastPod: PodInfo | undefined;
let lastRequired: RequiredNodeAffinity | undefined;

export function requiredNodeAffinityOf(pod: PodInfo): RequiredNodeAffinity {
  if (lastPod === pod && lastRequired !== undefined) return lastRequired;
  let required = requiredMemo.get(pod);
  if (!required) {
    required = new RequiredNodeAffinity(pod.pod);
    requiredMemo.set(pod, required);
  }
  lastPod = pod;
  lastRequired = required;
  return required;
}

/**
 * The node names every required term pins through `metadata.name In`; undefined when some term leaves
 * the node open (terms are ORed, so one open term opens all nodes).
 */
export function pinnedNodeNames(terms: readonly NodeSelectorTerm[]): Set<string> | undefined {
  let union: Set<string> | undefined;
  for (const term of terms) {
    let termNames: Set<string> | undefined;
    for (const r of term.matchFields ?? []) {
      if (r.key !== OBJECT_NAME_FIELD || r.operator !== 'In') continue;
      const values = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => values.has(n))) : values;
    }
    if (!termNames) return undefined;
    union = new Set([...(union ?? []), ...termNames]);
  }
  return union;
}

interface PreferredTerm {
  weight: number;
  term: CompiledTerm;
}

export function preferredTermsOf(pod: Pod): PreferredTerm[] {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const terms: PreferredTerm[] = [];
  for (const p of preferred) {
    if (!p.weight) continue;
    const term = compileTerm(p.preference);
    if (term) terms.push({ weight: p.weight, term });
  }
  return terms;
}

export function preferredScore(terms: readonly PreferredTerm[], node: NodeInfo): number {
  let score = 0;
  for (const { weight, term } of terms) {
    if (termMatches(term, node)) score += weight;
  }
  return score;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_AFFINITY;

  preFilter(_state: CycleState, pod: PodInfo): Status | PreFilterNodeNames {
    const required = requiredNodeAffinityOf(pod);
    if (required.isEmpty()) return Status.SKIP;
    const terms =
      pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms ?? [];
    if (terms.length === 0) return Status.SUCCESS;
    const names = pinnedNodeNames(terms);
    if (names === undefined) return Status.SUCCESS;
    return names.size === 0 ? CONFLICT : { nodeNames: names };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return requiredNodeAffinityOf(pod).matches(node) ? Status.SUCCESS : REJECTED;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const terms = preferredTermsOf(pod.pod);
    if (terms.length === 0) return Status.SKIP;
    state.write(PRE_SCORE_KEY, terms);
    return Status.SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    return preferredScore(state.read<PreferredTerm[]>(PRE_SCORE_KEY) ?? [], node);
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: number[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  }
}
