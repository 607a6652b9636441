/**
 * `describe` texts, section by section as kubectl's describers write them: pods, deployments,
 * replicasets, services and nodes have their own layout; every other kind gets kubectl's generic
 * description (each field as a Title Cased label). The objects a description mentions besides the
 * described one (its events, a ReplicaSet's pods, a node's pods and lease, ...) are passed in. Pure.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import { isPlainObject } from '../apiserver/api-object.js';
import { formatLabelSelector } from '../apiserver/table/label-selector-format.js';
import { formatLabels } from '../apiserver/table/print-helpers.js';
import {
  DescribeWriter,
  formatBytes,
  formatCpu,
  parseQuantity,
  rfc1123z,
  since,
  writeAnnotations,
  writeEvents,
  writeLabels,
} from './describe-writer.js';
import { templatesMatch } from './rollout-logic.js';

type Json = Record<string, unknown>;

function rec(value: unknown): Json {
  return isPlainObject(value) ? value : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** Go's `%v` of an optional boolean pointer. */
function optionalBool(value: unknown): string {
  return typeof value === 'boolean' ? String(value) : '<nil>';
}

export interface DescribeContext {
  now: Date;
  /** Events whose involvedObject is the object; undefined leaves the Events section out. */
  events?: KubeObject[];
}

function controllerOf(obj: KubeObject): string {
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller);
  return ref ? `${ref.kind}/${ref.name}` : '';
}

// ---- pods and pod templates ----

function portsText(ports: Json[], field: 'containerPort' | 'hostPort'): string {
  return ports.map((p) => `${str(p[field] ?? 0)}/${str(p.protocol || 'TCP')}`).join(', ');
}

function probeText(probe: Json): string {
  const n = (key: string, fallback: number) =>
    typeof probe[key] === 'number' ? (probe[key] as number) : fallback;
  const attrs = `delay=${n('initialDelaySeconds', 0)}s timeout=${n('timeoutSeconds', 1)}s period=${n('periodSeconds', 10)}s #success=${n('successThreshold', 1)} #failure=${n('failureThreshold', 3)}`;
  if (isPlainObject(probe.exec))
    return `exec [${(probe.exec.command as string[] | undefined)?.join(' ') ?? ''}] ${attrs}`;
  if (isPlainObject(probe.httpGet)) {
    const h = probe.httpGet;
    const scheme = str(h.scheme || 'HTTP').toLowerCase();
    const port = str(h.port);
    const host = port ? `${str(h.host)}:${port}` : str(h.host);
    return `http-get ${scheme}://${host}${str(h.path)} ${attrs}`;
  }
  if (isPlainObject(probe.tcpSocket))
    return `tcp-socket ${str(probe.tcpSocket.host)}:${str(probe.tcpSocket.port)} ${attrs}`;
  if (isPlainObject(probe.grpc))
    return `grpc <pod>:${str(probe.grpc.port)} ${str(probe.grpc.service)} ${attrs}`;
  return `unknown ${attrs}`;
}

function fieldRefValue(pod: KubeObject | undefined, path: string): string {
  if (!pod) return '';
  const status = rec(pod.status);
  const spec = rec(pod.spec);
  switch (path) {
    case 'metadata.name':
      return str(pod.metadata.name);
    case 'metadata.namespace':
      return str(pod.metadata.namespace);
    case 'metadata.uid':
      return str(pod.metadata.uid);
    case 'spec.nodeName':
      return str(spec.nodeName);
    case 'spec.serviceAccountName':
      return str(spec.serviceAccountName);
    case 'status.podIP':
      return str(status.podIP);
    case 'status.hostIP':
      return str(status.hostIP);
    default:
      return '';
  }
}

function writeState(w: DescribeWriter, title: string, state: Json): void {
  if (isPlainObject(state.running)) {
    w.write(2, `${title}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(state.running.startedAt)}\n`);
  } else if (isPlainObject(state.terminated)) {
    const t = state.terminated;
    w.write(2, `${title}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${str(t.reason)}\n`);
    if (t.message) w.write(3, `Message:\t${str(t.message)}\n`);
    w.write(3, `Exit Code:\t${str(t.exitCode ?? 0)}\n`);
    if (typeof t.signal === 'number' && t.signal > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else {
    w.write(2, `${title}:\tWaiting\n`);
    const reason = rec(state.waiting).reason;
    if (reason) w.write(3, `Reason:\t${str(reason)}\n`);
  }
}

function writeResources(w: DescribeWriter, resources: Json, level: number): void {
  for (const [title, field] of [
    ['Limits', 'limits'],
    ['Requests', 'requests'],
  ] as const) {
    const values = rec(resources[field]);
    const names = Object.keys(values).sort();
    if (names.length > 0) w.write(level, `${title}:\n`);
    for (const name of names) w.write(level + 1, `${name}:\t${str(values[name])}\n`);
  }
}

function writeContainers(
  w: DescribeWriter,
  title: string,
  containers: Json[],
  statuses: Json[] | undefined,
  space: string,
  pod: KubeObject | undefined,
): void {
  w.write(0, `${space}${title}:${containers.length === 0 ? ' <none>' : ''}\n`);
  const nameIndent = space ? ' ' : '';
  for (const c of containers) {
    const status = statuses?.find((s) => s.name === c.name);
    w.write(1, `${nameIndent}${str(c.name)}:\n`);
    if (status) w.write(2, `Container ID:\t${str(status.containerID)}\n`);
    w.write(2, `Image:\t${str(c.image)}\n`);
    if (status) w.write(2, `Image ID:\t${str(status.imageID)}\n`);
    const ports = portsText(list(c.ports), 'containerPort');
    w.write(2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${ports || '<none>'}\n`);
    const hostPorts = portsText(list(c.ports), 'hostPort');
    w.write(
      2,
      hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${hostPorts || '<none>'}\n`,
    );
    for (const [label, field] of [
      ['Command', 'command'],
      ['Args', 'args'],
    ] as const) {
      const values = Array.isArray(c[field]) ? (c[field] as unknown[]) : [];
      if (values.length === 0) continue;
      w.write(2, `${label}:\n`);
      for (const v of values) for (const line of str(v).split('\n')) w.write(3, `${line}\n`);
    }
    if (status) {
      writeState(w, 'State', rec(status.state));
      if (isPlainObject(rec(status.lastState).terminated)) writeState(w, 'Last State', rec(status.lastState));
      w.write(2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${str(status.restartCount ?? 0)}\n`);
    }
    writeResources(w, rec(c.resources), 2);
    for (const [label, field] of [
      ['Liveness', 'livenessProbe'],
      ['Readiness', 'readinessProbe'],
      ['Startup', 'startupProbe'],
    ] as const) {
      if (isPlainObject(c[field])) w.write(2, `${label}:\t${probeText(c[field])}\n`);
    }
    const env = list(c.env);
    w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
    for (const e of env) {
      const from = isPlainObject(e.valueFrom) ? e.valueFrom : undefined;
      if (!from) {
        str(e.value)
          .split('\n')
          .forEach((line, i) => w.write(3, i === 0 ? `${str(e.name)}:\t${line}\n` : `\t${line}\n`));
      } else if (isPlainObject(from.fieldRef)) {
        const ref = from.fieldRef;
        w.write(
          3,
          `${str(e.name)}:\t${fieldRefValue(pod, str(ref.fieldPath))} (${str(ref.apiVersion || 'v1')}:${str(ref.fieldPath)})\n`,
        );
      } else if (isPlainObject(from.resourceFieldRef)) {
        w.write(3, `${str(e.name)}:\t (${str(from.resourceFieldRef.resource)})\n`);
      } else if (isPlainObject(from.secretKeyRef)) {
        const ref = from.secretKeyRef;
        w.write(
          3,
          `${str(e.name)}:\t<set to the key '${str(ref.key)}' in secret '${str(ref.name)}'>\tOptional: ${ref.optional === true}\n`,
        );
      } else if (isPlainObject(from.configMapKeyRef)) {
        const ref = from.configMapKeyRef;
        w.write(
          3,
          `${str(e.name)}:\t<set to the key '${str(ref.key)}' of config map '${str(ref.name)}'>\tOptional: ${ref.optional === true}\n`,
        );
      }
    }
    const mounts = list(c.volumeMounts).sort((a, b) => (str(a.mountPath) < str(b.mountPath) ? -1 : 1));
    w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(3, `${str(m.mountPath)} from ${str(m.name)} (${flags.join(',')})\n`);
    }
  }
}

function writeVolumes(w: DescribeWriter, volumes: Json[], space: string): void {
  if (volumes.length === 0) return w.write(0, `${space}Volumes:\t<none>\n`);
  w.write(0, `${space}Volumes:\n`);
  for (const v of volumes) {
    w.write(1, `${space ? ' ' : ''}${str(v.name)}:\n`);
    if (isPlainObject(v.emptyDir)) {
      const sizeLimit = v.emptyDir.sizeLimit === undefined ? '<unset>' : str(v.emptyDir.sizeLimit);
      w.write(
        2,
        `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${str(v.emptyDir.medium)}\n    SizeLimit:\t${sizeLimit}\n`,
      );
    } else if (isPlainObject(v.hostPath)) {
      w.write(
        2,
        `Type:\tHostPath (bare host directory volume)\n    Path:\t${str(v.hostPath.path)}\n    HostPathType:\t${str(v.hostPath.type)}\n`,
      );
    } else if (isPlainObject(v.secret)) {
      w.write(
        2,
        `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${str(v.secret.secretName)}\n    Optional:\t${v.secret.optional === true}\n`,
      );
    } else if (isPlainObject(v.configMap)) {
      w.write(
        2,
        `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${str(v.configMap.name)}\n    Optional:\t${v.configMap.optional === true}\n`,
      );
    } else if (isPlainObject(v.persistentVolumeClaim)) {
      w.write(
        2,
        `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${str(v.persistentVolumeClaim.claimName)}\n    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`,
      );
    } else if (isPlainObject(v.downwardAPI)) {
      w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
      for (const item of list(v.downwardAPI.items)) {
        const source = isPlainObject(item.fieldRef)
          ? str(item.fieldRef.fieldPath)
          : str(rec(item.resourceFieldRef).resource);
        w.write(0, `      ${source} -> ${str(item.path)}\n`);
      }
    } else if (isPlainObject(v.projected)) {
      w.write(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
      for (const source of list(v.projected.sources)) {
        if (isPlainObject(source.secret)) {
          w.write(
            2,
            `SecretName:\t${str(source.secret.name)}\n    SecretOptionalName:\t${optionalBool(source.secret.optional)}\n`,
          );
        } else if (isPlainObject(source.downwardAPI)) {
          w.write(2, 'DownwardAPI:\ttrue\n');
        } else if (isPlainObject(source.configMap)) {
          w.write(
            2,
            `ConfigMapName:\t${str(source.configMap.name)}\n    ConfigMapOptional:\t${optionalBool(source.configMap.optional)}\n`,
          );
        } else if (isPlainObject(source.serviceAccountToken)) {
          w.write(
            2,
            `TokenExpirationSeconds:\t${str(source.serviceAccountToken.expirationSeconds ?? 3607)}\n`,
          );
        }
      }
    } else {
      w.write(2, 'Type:\t<unknown>\n');
    }
  }
}

function writeTolerations(w: DescribeWriter, title: string, tolerations: Json[]): void {
  if (tolerations.length === 0) return w.write(0, `${title}:\t<none>\n`);
  tolerations.forEach((t, i) => {
    let text = str(t.key);
    if (t.value) text += `=${str(t.value)}`;
    if (t.effect) text += `:${str(t.effect)}`;
    if (t.operator === 'Exists' && !t.value) text += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (typeof t.tolerationSeconds === 'number') text += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${i === 0 ? `${title}:` : ''}\t${text}\n`);
  });
}

/** The QoS class the kubelet would give a pod, for pods whose status does not say. */
export function qosClassOf(spec: Json): string {
  const containers = [...list(spec.containers), ...list(spec.initContainers)];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const requests = rec(rec(c.resources).requests);
    const limits = rec(rec(c.resources).limits);
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined) guaranteed = false;
      else if (requests[r] !== undefined && parseQuantity(requests[r]) !== parseQuantity(limits[r]))
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function describePod(pod: KubeObject, ctx: DescribeContext): string {
  const w = new DescribeWriter();
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  w.write(0, `Name:\t${str(pod.metadata.name)}\n`);
  w.write(0, `Namespace:\t${str(pod.metadata.namespace)}\n`);
  if (typeof spec.priority === 'number') w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${str(spec.priorityClassName)}\n`);
  w.write(0, `Service Account:\t${str(spec.serviceAccountName)}\n`);
  w.write(0, spec.nodeName ? `Node:\t${str(spec.nodeName)}/${str(status.hostIP)}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(0, `Start Time:\t${rfc1123z(status.startTime)}\n`);
  writeLabels(w, 'Labels', pod.metadata.labels);
  writeAnnotations(w, 'Annotations', pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp) {
    w.write(0, `Status:\tTerminating (lasts ${since(pod.metadata.deletionTimestamp, ctx.now)})\n`);
    w.write(0, `Termination Grace Period:\t${str(pod.metadata.deletionGracePeriodSeconds ?? 0)}s\n`);
  } else {
    w.write(0, `Status:\t${str(status.phase)}\n`);
  }
  if (status.reason) w.write(0, `Reason:\t${str(status.reason)}\n`);
  if (status.message) w.write(0, `Message:\t${str(status.message)}\n`);
  w.write(0, `IP:\t${str(status.podIP)}\n`);
  const ips = list(status.podIPs);
  if (ips.length === 0) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of ips) w.write(1, `IP:\t${str(ip.ip)}\n`);
  }
  const controlledBy = controllerOf(pod);
  if (controlledBy) w.write(0, `Controlled By:\t${controlledBy}\n`);
  if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${str(status.nominatedNodeName)}\n`);
  if (list(spec.initContainers).length > 0)
    writeContainers(
      w,
      'Init Containers',
      list(spec.initContainers),
      list(status.initContainerStatuses),
      '',
      pod,
    );
  writeContainers(w, 'Containers', list(spec.containers), list(status.containerStatuses), '', pod);
  const conditions = list(status.conditions);
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of conditions) w.write(1, `${str(c.type)} \t${str(c.status)} \n`);
  }
  writeVolumes(w, list(spec.volumes), '');
  w.write(0, `QoS Class:\t${str(status.qosClass) || qosClassOf(spec)}\n`);
  writeLabels(w, 'Node-Selectors', spec.nodeSelector);
  writeTolerations(w, 'Tolerations', list(spec.tolerations));
  writeEvents(w, ctx.events, ctx.now);
  return w.toString();
}

function writePodTemplate(w: DescribeWriter, template: Json): void {
  w.write(0, 'Pod Template:\n');
  const metadata = rec(template.metadata);
  const spec = rec(template.spec);
  writeLabels(w, '  Labels', metadata.labels);
  if (Object.keys(rec(metadata.annotations)).length > 0)
    writeAnnotations(w, '  Annotations', metadata.annotations);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${str(spec.serviceAccountName)}\n`);
  if (list(spec.initContainers).length > 0)
    writeContainers(w, 'Init Containers', list(spec.initContainers), undefined, '  ', undefined);
  writeContainers(w, 'Containers', list(spec.containers), undefined, '  ', undefined);
  writeVolumes(w, list(spec.volumes), '  ');
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${str(spec.priorityClassName)}\n`);
  writeLabels(w, '  Node-Selectors', spec.nodeSelector);
  writeTolerations(w, '  Tolerations', list(spec.tolerations));
}

/** A pod template alone, as `rollout history --revision N` shows it: tabs not aligned, as kubectl leaves them. */
export function describePodTemplate(template: unknown): string {
  const w = new DescribeWriter();
  writePodTemplate(w, rec(template));
  return w.untabulated();
}

function writeWorkloadConditions(w: DescribeWriter, status: Json): void {
  const conditions = list(status.conditions);
  if (conditions.length === 0) return;
  w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
  w.write(1, '----\t------\t------\n');
  for (const c of conditions) w.write(1, `${str(c.type)} \t${str(c.status)}\t${str(c.reason)}\n`);
}

// ---- workloads ----

/** The Deployment's ReplicaSets split as kubectl's deployment util does: the one of its template, the rest. */
export function splitReplicaSets(
  deployment: KubeObject,
  replicaSets: readonly KubeObject[],
): { newRS: KubeObject | undefined; oldRSs: KubeObject[] } {
  const owned = replicaSets.filter((rs) =>
    (rs.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === deployment.metadata.uid),
  );
  const template = rec(deployment.spec).template;
  const sorted = [...owned].sort((a, b) =>
    str(a.metadata.creationTimestamp) < str(b.metadata.creationTimestamp) ? -1 : 1,
  );
  const newRS = sorted.find((rs) => templatesMatch(rec(rs.spec).template, template));
  return { newRS, oldRSs: owned.filter((rs) => rs !== newRS) };
}

function replicaSetsText(sets: readonly KubeObject[]): string {
  if (sets.length === 0) return '<none>';
  return sets
    .map(
      (rs) =>
        `${str(rs.metadata.name)} (${str(rec(rs.status).replicas ?? 0)}/${str(rec(rs.spec).replicas ?? 1)} replicas created)`,
    )
    .join(', ');
}

export function describeDeployment(
  deployment: KubeObject,
  ctx: DescribeContext & { replicaSets: readonly KubeObject[] },
): string {
  const w = new DescribeWriter();
  const spec = rec(deployment.spec);
  const status = rec(deployment.status);
  const strategy = rec(spec.strategy);
  const n = (v: unknown) => str(v ?? 0);
  w.write(0, `Name:\t${str(deployment.metadata.name)}\n`);
  w.write(0, `Namespace:\t${str(deployment.metadata.namespace)}\n`);
  w.write(0, `CreationTimestamp:\t${rfc1123z(deployment.metadata.creationTimestamp)}\n`);
  writeLabels(w, 'Labels', deployment.metadata.labels);
  writeAnnotations(w, 'Annotations', deployment.metadata.annotations);
  w.write(0, `Selector:\t${formatLabelSelector(spec.selector)}\n`);
  w.write(
    0,
    `Replicas:\t${str(spec.replicas ?? 1)} desired | ${n(status.updatedReplicas)} updated | ${n(status.replicas)} total | ${n(status.availableReplicas)} available | ${n(status.unavailableReplicas)} unavailable\n`,
  );
  w.write(0, `StrategyType:\t${str(strategy.type)}\n`);
  w.write(0, `MinReadySeconds:\t${n(spec.minReadySeconds)}\n`);
  if (isPlainObject(strategy.rollingUpdate)) {
    const ru = strategy.rollingUpdate;
    w.write(
      0,
      `RollingUpdateStrategy:\t${str(ru.maxUnavailable)} max unavailable, ${str(ru.maxSurge)} max surge\n`,
    );
  }
  writePodTemplate(w, rec(spec.template));
  writeWorkloadConditions(w, status);
  const { newRS, oldRSs } = splitReplicaSets(deployment, ctx.replicaSets);
  if (newRS || oldRSs.length > 0) {
    // Like kubectl, old ReplicaSets scaled to zero are not worth listing.
    w.write(0, `OldReplicaSets:\t${replicaSetsText(oldRSs.filter((rs) => rec(rs.spec).replicas !== 0))}\n`);
    w.write(0, `NewReplicaSet:\t${replicaSetsText(newRS ? [newRS] : [])}\n`);
  }
  writeEvents(w, ctx.events, ctx.now);
  return w.toString();
}

export function describeReplicaSet(
  rs: KubeObject,
  ctx: DescribeContext & { pods: readonly KubeObject[] },
): string {
  const w = new DescribeWriter();
  const spec = rec(rs.spec);
  const status = rec(rs.status);
  const owned = ctx.pods.filter((p) =>
    (p.metadata.ownerReferences ?? []).some((r) => r.uid === rs.metadata.uid),
  );
  const phase = (value: string) => owned.filter((p) => rec(p.status).phase === value).length;
  w.write(0, `Name:\t${str(rs.metadata.name)}\n`);
  w.write(0, `Namespace:\t${str(rs.metadata.namespace)}\n`);
  w.write(0, `Selector:\t${formatLabelSelector(spec.selector)}\n`);
  writeLabels(w, 'Labels', rs.metadata.labels);
  writeAnnotations(w, 'Annotations', rs.metadata.annotations);
  const controlledBy = controllerOf(rs);
  if (controlledBy) w.write(0, `Controlled By:\t${controlledBy}\n`);
  w.write(0, `Replicas:\t${str(status.replicas ?? 0)} current / ${str(spec.replicas ?? 1)} desired\n`);
  w.write(
    0,
    `Pods Status:\t${phase('Running')} Running / ${phase('Pending')} Waiting / ${phase('Succeeded')} Succeeded / ${phase('Failed')} Failed\n`,
  );
  writePodTemplate(w, rec(spec.template));
  writeWorkloadConditions(w, status);
  writeEvents(w, ctx.events, ctx.now);
  return w.toString();
}

// ---- services ----

/** `10.0.0.1:80,10.0.0.2:80` for the Endpoints of one service port, at most three then `+ N more...`. */
export function endpointsText(endpoints: KubeObject | undefined, portName: string): string {
  const subsets = list(endpoints?.subsets);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  const max = 3;
  let count = 0;
  let more = false;
  for (const subset of subsets) {
    const addresses = list(subset.addresses);
    const ports = list(subset.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(str(a.ip));
      }
      continue;
    }
    for (const port of ports) {
      if (str(port.name) !== portName) continue;
      count += addresses.length;
      for (const a of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        const ip = str(a.ip);
        shown.push(`${ip.includes(':') ? `[${ip}]` : ip}:${str(port.port)}`);
      }
    }
  }
  const text = shown.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

export function describeService(svc: KubeObject, ctx: DescribeContext & { endpoints?: KubeObject }): string {
  const w = new DescribeWriter();
  const spec = rec(svc.spec);
  w.write(0, `Name:\t${str(svc.metadata.name)}\n`);
  w.write(0, `Namespace:\t${str(svc.metadata.namespace)}\n`);
  writeLabels(w, 'Labels', svc.metadata.labels);
  writeAnnotations(w, 'Annotations', svc.metadata.annotations);
  w.write(0, `Selector:\t${formatLabels(spec.selector)}\n`);
  w.write(0, `Type:\t${str(spec.type)}\n`);
  if (spec.ipFamilyPolicy) w.write(0, `IP Family Policy:\t${str(spec.ipFamilyPolicy)}\n`);
  const families = Array.isArray(spec.ipFamilies) ? (spec.ipFamilies as string[]) : [];
  w.write(0, `IP Families:\t${families.length > 0 ? families.join(',') : '<none>'}\n`);
  w.write(0, `IP:\t${str(spec.clusterIP)}\n`);
  if (Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0)
    w.write(0, `IPs:\t${spec.clusterIPs.join(',')}\n`);
  if (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0)
    w.write(0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(0, `IP:\t${str(spec.loadBalancerIP)}\n`);
  if (spec.externalName) w.write(0, `External Name:\t${str(spec.externalName)}\n`);
  const ingress = list(rec(rec(svc.status).loadBalancer).ingress);
  if (ingress.length > 0)
    w.write(0, `LoadBalancer Ingress:\t${ingress.map((i) => str(i.ip || i.hostname)).join(', ')}\n`);
  for (const port of list(spec.ports)) {
    const name = str(port.name) || '<unset>';
    const protocol = str(port.protocol || 'TCP');
    w.write(0, `Port:\t${name}\t${str(port.port)}/${protocol}\n`);
    w.write(0, `TargetPort:\t${str(port.targetPort ?? port.port)}/${protocol}\n`);
    if (port.nodePort) w.write(0, `NodePort:\t${name}\t${str(port.nodePort)}/${protocol}\n`);
    w.write(0, `Endpoints:\t${endpointsText(ctx.endpoints, str(port.name))}\n`);
  }
  w.write(0, `Session Affinity:\t${str(spec.sessionAffinity)}\n`);
  if (spec.externalTrafficPolicy)
    w.write(0, `External Traffic Policy:\t${str(spec.externalTrafficPolicy)}\n`);
  if (spec.internalTrafficPolicy)
    w.write(0, `Internal Traffic Policy:\t${str(spec.internalTrafficPolicy)}\n`);
  if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${str(spec.healthCheckNodePort)}\n`);
  writeEvents(w, ctx.events, ctx.now);
  return w.toString();
}

// ---- nodes ----

function podTotals(
  pod: KubeObject,
): Record<'cpuReq' | 'cpuLim' | 'memReq' | 'memLim' | 'diskReq' | 'diskLim', number> {
  const totals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0, diskReq: 0, diskLim: 0 };
  for (const c of list(rec(pod.spec).containers)) {
    const requests = rec(rec(c.resources).requests);
    const limits = rec(rec(c.resources).limits);
    const q = (v: unknown) => (v === undefined ? 0 : parseQuantity(v) || 0);
    totals.cpuReq += q(requests.cpu);
    totals.cpuLim += q(limits.cpu);
    totals.memReq += q(requests.memory);
    totals.memLim += q(limits.memory);
    totals.diskReq += q(requests['ephemeral-storage']);
    totals.diskLim += q(limits['ephemeral-storage']);
  }
  return totals;
}

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.trunc((part / whole) * 100) : 0;
}

export function describeNode(
  node: KubeObject,
  ctx: DescribeContext & { pods: readonly KubeObject[]; lease?: KubeObject },
): string {
  const w = new DescribeWriter();
  const spec = rec(node.spec);
  const status = rec(node.status);
  const labels = rec(node.metadata.labels);
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean)
    .sort();
  w.write(0, `Name:\t${str(node.metadata.name)}\n`);
  w.write(0, `Roles:\t${roles.length > 0 ? roles.join(',') : '<none>'}\n`);
  writeLabels(w, 'Labels', node.metadata.labels);
  writeAnnotations(w, 'Annotations', node.metadata.annotations);
  w.write(0, `CreationTimestamp:\t${rfc1123z(node.metadata.creationTimestamp)}\n`);
  const taints = list(spec.taints);
  if (taints.length === 0) w.write(0, 'Taints:\t<none>\n');
  taints.forEach((t, i) => {
    const text = `${str(t.key)}${t.value ? `=${str(t.value)}` : ''}:${str(t.effect)}`;
    w.write(0, `${i === 0 ? 'Taints:' : ''}\t${text}\n`);
  });
  w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);
  const lease = rec(ctx.lease?.spec);
  w.write(0, 'Lease:\n');
  w.write(1, `HolderIdentity:\t${lease.holderIdentity ? str(lease.holderIdentity) : '<unset>'}\n`);
  w.write(1, `AcquireTime:\t${lease.acquireTime ? rfc1123z(lease.acquireTime) : '<unset>'}\n`);
  w.write(1, `RenewTime:\t${lease.renewTime ? rfc1123z(lease.renewTime) : '<unset>'}\n`);
  const conditions = list(status.conditions);
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of conditions) {
      w.write(
        1,
        `${str(c.type)} \t${str(c.status)} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${str(c.reason)} \t${str(c.message)}\n`,
      );
    }
  }
  w.write(0, 'Addresses:\n');
  for (const a of list(status.addresses)) w.write(1, `${str(a.type)}:\t${str(a.address)}\n`);
  for (const [title, field] of [
    ['Capacity', 'capacity'],
    ['Allocatable', 'allocatable'],
  ] as const) {
    const values = rec(status[field]);
    if (Object.keys(values).length === 0) continue;
    w.write(0, `${title}:\n`);
    for (const name of Object.keys(values).sort()) w.write(0, `  ${name}:\t${str(values[name])}\n`);
  }
  const info = rec(status.nodeInfo);
  w.write(0, 'System Info:\n');
  for (const [label, field] of [
    ['Machine ID', 'machineID'],
    ['System UUID', 'systemUUID'],
    ['Boot ID', 'bootID'],
    ['Kernel Version', 'kernelVersion'],
    ['OS Image', 'osImage'],
    ['Operating System', 'operatingSystem'],
    ['Architecture', 'architecture'],
    ['Container Runtime Version', 'containerRuntimeVersion'],
    ['Kubelet Version', 'kubeletVersion'],
    ['Kube-Proxy Version', 'kubeProxyVersion'],
  ]) {
    w.write(0, `  ${label}:\t${str(info[field])}\n`);
  }
  if (spec.podCIDR) w.write(0, `PodCIDR:\t${str(spec.podCIDR)}\n`);
  if (Array.isArray(spec.podCIDRs) && spec.podCIDRs.length > 0)
    w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
  if (spec.providerID) w.write(0, `ProviderID:\t${str(spec.providerID)}\n`);

  const allocatable =
    Object.keys(rec(status.allocatable)).length > 0 ? rec(status.allocatable) : rec(status.capacity);
  const cpu = parseQuantity(allocatable.cpu) || 0;
  const memory = parseQuantity(allocatable.memory) || 0;
  const disk = parseQuantity(allocatable['ephemeral-storage']) || 0;
  w.write(0, `Non-terminated Pods:\t(${ctx.pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const sum = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0, diskReq: 0, diskLim: 0 };
  for (const pod of ctx.pods) {
    const t = podTotals(pod);
    for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += t[key];
    w.write(
      1,
      `${str(pod.metadata.namespace)}\t${str(pod.metadata.name)}\t\t${formatCpu(t.cpuReq)} (${percent(t.cpuReq, cpu)}%)\t${formatCpu(t.cpuLim)} (${percent(t.cpuLim, cpu)}%)\t${formatBytes(t.memReq)} (${percent(t.memReq, memory)}%)\t${formatBytes(t.memLim)} (${percent(t.memLim, memory)}%)\t${since(pod.metadata.creationTimestamp, ctx.now)}\n`,
    );
  }
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  w.write(
    1,
    `cpu\t${formatCpu(sum.cpuReq)} (${percent(sum.cpuReq, cpu)}%)\t${formatCpu(sum.cpuLim)} (${percent(sum.cpuLim, cpu)}%)\n`,
  );
  w.write(
    1,
    `memory\t${formatBytes(sum.memReq)} (${percent(sum.memReq, memory)}%)\t${formatBytes(sum.memLim)} (${percent(sum.memLim, memory)}%)\n`,
  );
  w.write(
    1,
    `ephemeral-storage\t${formatBytes(sum.diskReq)} (${percent(sum.diskReq, disk)}%)\t${formatBytes(sum.diskLim)} (${percent(sum.diskLim, disk)}%)\n`,
  );
  writeEvents(w, ctx.events, ctx.now);
  return w.toString();
}

// ---- everything else ----

const ACRONYMS = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);

/** kubectl's `smartLabelFor`: `apiVersion` → `API Version`, `creationTimestamp` → `Creation Timestamp`. */
export function smartLabel(field: string): string {
  if (/[^\p{L}-]/u.test(field)) return field;
  const parts = field.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|-+/g) ?? [field];
  return parts
    .map((part) =>
      ACRONYMS.has(part.toUpperCase()) ? part.toUpperCase() : part.charAt(0).toUpperCase() + part.slice(1),
    )
    .join(' ');
}

const GENERIC_SKIPS = new Set([
  '.metadata.managedFields',
  '.metadata.name',
  '.metadata.namespace',
  '.metadata.labels',
  '.metadata.annotations',
]);

function writeContent(w: DescribeWriter, level: number, content: Json, path: string): void {
  for (const field of Object.keys(content).sort()) {
    const value = content[field];
    const here = `${path}.${field}`;
    if (GENERIC_SKIPS.has(here)) continue;
    if (isPlainObject(value)) {
      w.write(level, `${smartLabel(field)}:\n`);
      writeContent(w, level + 1, value, here);
    } else if (Array.isArray(value)) {
      w.write(level, `${smartLabel(field)}:\n`);
      for (const item of value) {
        if (isPlainObject(item)) writeContent(w, level + 1, item, here);
        else w.write(level + 1, `${str(item)}\n`);
      }
    } else {
      w.write(level, `${smartLabel(field)}:\t${value === null ? '<nil>' : str(value)}\n`);
    }
  }
}

export function describeGeneric(obj: KubeObject, ctx: DescribeContext): string {
  const w = new DescribeWriter();
  w.write(0, `Name:\t${str(obj.metadata.name)}\n`);
  w.write(0, `Namespace:\t${str(obj.metadata.namespace)}\n`);
  writeLabels(w, 'Labels', obj.metadata.labels);
  writeAnnotations(w, 'Annotations', obj.metadata.annotations);
  writeContent(w, 0, obj as Json, '');
  writeEvents(w, ctx.events, ctx.now);
  return w.toString();
}
