/**
 * NodeInfoSnapshot: the frozen view of the cluster one scheduling cycle works on. The cache refreshes it
 * incrementally (only NodeInfos whose generation moved are copied); tests build one directly.
 *
 * Contract: the NodeInfos in a snapshot are copies owned by the snapshot; nothing but
 * SchedulerCache.updateSnapshot changes them, so a cycle sees one consistent state even if the cache is
 * updated by informer events in between awaits.
 */

import type { NodeInfo, Snapshot } from './framework.js';

export class NodeInfoSnapshot implements Snapshot {
  nodeInfos: NodeInfo[] = [];
  havePodsWithAffinity: NodeInfo[] = [];
  havePodsWithRequiredAntiAffinity: NodeInfo[] = [];
  readonly byName = new Map<string, NodeInfo>();
  /** The highest cache generation copied into this snapshot. */
  generation = 0;

  /** A snapshot over the given NodeInfos, in that order (they are used as they are, not copied). */
  static of(nodeInfos: readonly NodeInfo[]): NodeInfoSnapshot {
    const snapshot = new NodeInfoSnapshot();
    for (const info of nodeInfos) snapshot.byName.set(info.name, info);
    snapshot.rebuildLists(nodeInfos.map((n) => n.name));
    return snapshot;
  }

  get(nodeName: string): NodeInfo | undefined {
    return this.byName.get(nodeName);
  }

  get numNodes(): number {
    return this.nodeInfos.length;
  }

  /** Rebuilds the node list in `order` (names absent from the snapshot are skipped) and the affinity lists. */
  rebuildLists(order: readonly string[]): void {
    const nodeInfos: NodeInfo[] = [];
    for (const name of order) {
      const info = this.byName.get(name);
      if (info) nodeInfos.push(info);
    }
    this.nodeInfos = nodeInfos;
    this.rebuildAffinityLists();
  }

  rebuildAffinityLists(): void {
    this.havePodsWithAffinity = this.nodeInfos.filter((n) => n.podsWithAffinity.length > 0);
    this.havePodsWithRequiredAntiAffinity = this.nodeInfos.filter(
      (n) => n.podsWithRequiredAntiAffinity.length > 0,
    );
  }
}
