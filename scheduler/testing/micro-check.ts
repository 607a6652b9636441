/**
 * Not a test, and not part of the build (testing/ is excluded): times the scheduling cycle against 1,000
 * nodes to check the per-pod cost stays far below the 1 ms budget the ≥ 300 pods/s target leaves. Run:
 *   npx tsc --ignoreConfig --outDir /tmp/mc --module nodenext --moduleResolution nodenext \
 *     --target es2022 --skipLibCheck --types node scheduler/testing/micro-check.ts
 *   echo '{"type":"module"}' > /tmp/mc/package.json && node /tmp/mc/scheduler/testing/micro-check.js
 */

import { defaultProfile, type Strategy } from '../profile.js';
import { SchedulerCache } from '../scheduler-cache.js';
import { schedulePod } from '../schedule-one.js';
import { NodeInfoSnapshot } from '../snapshot.js';
import { makeNode, makePod } from './builders.js';

type PodShape = 'plain' | 'constrained';

function run(strategy: Strategy, nodeCount: number, podCount: number, shape: PodShape = 'plain'): void {
  const cache = new SchedulerCache({ clock: { now: () => Date.now() } });
  for (let i = 0; i < nodeCount; i++) {
    cache.addNode(
      makeNode({
        name: `node-${i}`,
        labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` },
        allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
      }),
    );
  }
  const snapshot = new NodeInfoSnapshot();
  const pods = Array.from({ length: podCount }, (_, i) => {
    const app = `app-${i % 50}`;
    const constraints =
      shape === 'constrained'
        ? {
            labels: { app },
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
                ],
              },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { app } },
              },
            ],
          }
        : {};
    return makePod({
      name: `p-${i}`,
      ownerUid: `rs-${i % 50}`,
      requests: { cpu: '100m', memory: '128Mi' },
      ...constraints,
    });
  });
  const profile = defaultProfile({ strategy });
  let startIndex = 0;
  let scheduled = 0;
  const started = process.hrtime.bigint();
  for (const pod of pods) {
    cache.updateSnapshot(snapshot);
    const result = schedulePod(profile, pod, snapshot, { startIndex });
    startIndex = result.nextStartIndex;
    if (result.kind === 'Scheduled') {
      cache.assumePod(pod, result.nodeName);
      scheduled++;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(
    `${strategy}, ${shape}: ${podCount} pods on ${nodeCount} nodes: ${(ms / podCount).toFixed(3)} ms/pod ` +
      `(${Math.round((podCount / ms) * 1000)} pods/s), ${scheduled} scheduled`,
  );
}

run('spread', 1_000, 2_000);
run('spread', 1_000, 10_000);
run('binpack', 1_000, 10_000);
run('spread', 1_000, 2_000, 'constrained');
