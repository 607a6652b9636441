/**
 * Service spec rules (upstream's ValidateService): ports, types, session affinity, cluster IPs and IP
 * families, traffic policies, and the NodePort range the allocator enforces (which port is free is
 * decided at allocation, not here). On update, allocated cluster IPs and IP families are immutable.
 * Expects a defaulted Service, where `clusterIP` and `clusterIPs[0]` already agree.
 */
import { child, fieldError, goLiteral, index, type FieldCause, invalidFor } from './field-error.js';
import { goQuote, goStringSlice, goStruct } from './go-format.js';
import {
  arrayAt,
  numberAt,
  objectAt,
  objectsAt,
  stringAt,
  stringMapAt,
  stringsAt,
  type JsonObject,
} from './json-shape.js';
import { validatePortNumOrName } from './container-validation.js';
import { validateLabels } from './label-selector.js';
import {
  CIDR_ERROR,
  IP_ERROR,
  ipFamilyOf,
  isCIDR,
  isDNS1123Label,
  isDNS1123Subdomain,
  isPortNumber,
  isQualifiedName,
} from './name-rules.js';

type Errs = FieldCause[];

export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const KUBELET_PORT = 10250;
const MAX_AFFINITY_SECONDS = 86400;

function specOf(obj: JsonObject): JsonObject {
  return objectAt(obj.spec) ?? {};
}

function clusterIPsOf(spec: JsonObject): string[] {
  const ips = stringsAt(spec.clusterIPs);
  if (ips.length) return ips;
  const ip = stringAt(spec.clusterIP);
  return ip ? [ip] : [];
}

function isHeadless(spec: JsonObject): boolean {
  return clusterIPsOf(spec)[0] === 'None';
}

function isExternallyAccessible(spec: JsonObject): boolean {
  return (
    spec.type === 'NodePort' ||
    spec.type === 'LoadBalancer' ||
    (spec.type === 'ClusterIP' && arrayAt(spec.externalIPs).length > 0)
  );
}

function validateServicePort(
  port: JsonObject,
  requireName: boolean,
  names: Set<string>,
  field: string,
): Errs {
  const errs: Errs = [];
  const name = stringAt(port.name);
  if (requireName && !name) errs.push(fieldError.required(child(field, 'name')));
  else if (name) {
    errs.push(...invalidFor(child(field, 'name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(fieldError.duplicate(child(field, 'name'), name));
    else names.add(name);
  }
  const number = numberAt(port.port) ?? 0;
  errs.push(...invalidFor(child(field, 'port'), number, isPortNumber(number)));
  const protocol = stringAt(port.protocol);
  if (!protocol) errs.push(fieldError.required(child(field, 'protocol')));
  else if (!PROTOCOLS.includes(protocol)) {
    errs.push(fieldError.notSupported(child(field, 'protocol'), protocol, PROTOCOLS));
  }
  errs.push(...validatePortNumOrName(port.targetPort, child(field, 'targetPort')));
  if (typeof port.appProtocol === 'string') {
    errs.push(
      ...invalidFor(child(field, 'appProtocol'), port.appProtocol, isQualifiedName(port.appProtocol)),
    );
  }
  return errs;
}

function validateTypeSpecifics(spec: JsonObject): Errs {
  const errs: Errs = [];
  const headless = isHeadless(spec);
  switch (spec.type) {
    case 'LoadBalancer':
      if (headless) {
        errs.push(
          fieldError.invalid(
            'spec.clusterIPs[0]',
            'None',
            "may not be set to 'None' for LoadBalancer services",
          ),
        );
      }
      objectsAt(spec.ports).forEach((port, i) => {
        if (numberAt(port.port) === KUBELET_PORT) {
          errs.push(
            fieldError.invalid(
              index('spec.ports', i),
              KUBELET_PORT,
              `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`,
            ),
          );
        }
      });
      break;
    case 'NodePort':
      if (headless) {
        errs.push(
          fieldError.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"),
        );
      }
      break;
    case 'ExternalName': {
      if (clusterIPsOf(spec).length > 0) {
        errs.push(fieldError.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      }
      if (arrayAt(spec.ipFamilies).length > 0) {
        errs.push(fieldError.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      }
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
        errs.push(fieldError.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      }
      const cname = stringAt(spec.externalName).replace(/\.$/, '');
      if (!cname) errs.push(fieldError.required('spec.externalName'));
      else errs.push(...invalidFor('spec.externalName', cname, isDNS1123Subdomain(cname)));
      break;
    }
  }
  return errs;
}

function validateSessionAffinity(spec: JsonObject): Errs {
  const affinity = stringAt(spec.sessionAffinity);
  if (!affinity) return [fieldError.required('spec.sessionAffinity')];
  if (!SESSION_AFFINITIES.includes(affinity)) {
    return [fieldError.notSupported('spec.sessionAffinity', affinity, SESSION_AFFINITIES)];
  }
  const config = objectAt(spec.sessionAffinityConfig);
  if (affinity === 'None') {
    return config
      ? [fieldError.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None')]
      : [];
  }
  const why = 'when session affinity type is ClientIP';
  if (!config) return [fieldError.required('spec.sessionAffinityConfig', why)];
  const clientIP = objectAt(config.clientIP);
  if (!clientIP) return [fieldError.required('spec.sessionAffinityConfig.clientIP', why)];
  const timeout = numberAt(clientIP.timeoutSeconds);
  const timeoutPath = 'spec.sessionAffinityConfig.clientIP.timeoutSeconds';
  if (timeout === undefined) return [fieldError.required(timeoutPath, why)];
  return timeout <= 0 || timeout > MAX_AFFINITY_SECONDS
    ? [
        fieldError.invalid(
          timeoutPath,
          timeout,
          `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`,
        ),
      ]
    : [];
}

function validateClusterIPFields(spec: JsonObject): Errs {
  if (spec.type === 'ExternalName') return [];
  const errs: Errs = [];
  const clusterIPs = clusterIPsOf(spec);
  const families = stringsAt(spec.ipFamilies);
  const policy =
    spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null
      ? undefined
      : stringAt(spec.ipFamilyPolicy);
  if (policy === 'SingleStack') {
    if (clusterIPs.length === 2) {
      errs.push(
        fieldError.invalid(
          'spec.ipFamilyPolicy',
          policy,
          "must be RequireDualStack or PreferDualStack when multiple 'clusterIPs' are specified",
        ),
      );
    }
    if (families.length === 2) {
      errs.push(
        fieldError.invalid(
          'spec.ipFamilyPolicy',
          policy,
          "must be RequireDualStack or PreferDualStack when multiple 'ipFamilies' are specified",
        ),
      );
    }
  }
  if (policy !== undefined && !IP_FAMILY_POLICIES.includes(policy)) {
    errs.push(fieldError.notSupported('spec.ipFamilyPolicy', policy, IP_FAMILY_POLICIES));
  }
  const explicitIPs = stringsAt(spec.clusterIPs);
  if (explicitIPs.length > 0 && stringAt(spec.clusterIP) !== explicitIPs[0]) {
    errs.push(
      fieldError.invalid(
        'spec.clusterIPs',
        goLiteral(goStringSlice(explicitIPs)),
        'first value must match `clusterIP`',
      ),
    );
  }
  if (clusterIPs.length > 2) {
    errs.push(
      fieldError.invalid(
        'spec.clusterIPs',
        goLiteral(goStringSlice(clusterIPs)),
        'may only hold up to 2 values',
      ),
    );
  }
  // Later checks would only restate a malformed list in more confusing terms.
  if (errs.length) return errs;

  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        errs.push(
          fieldError.invalid(
            'spec.clusterIPs',
            goLiteral(goStringSlice(clusterIPs)),
            "'None' must be the first and only value",
          ),
        );
      }
      return;
    }
    if (!ipFamilyOf(ip)) errs.push(fieldError.invalid(index('spec.clusterIPs', i), ip, IP_ERROR));
  });
  const seen = new Set<string>();
  families.forEach((family, i) => {
    if (!IP_FAMILIES.includes(family)) {
      errs.push(fieldError.notSupported(index('spec.ipFamilies', i), family, IP_FAMILIES));
    }
    if (seen.has(family)) errs.push(fieldError.duplicate(index('spec.ipFamilies', i), family));
    seen.add(family);
  });
  if (clusterIPs.length === 2 && clusterIPs.every((ip) => ipFamilyOf(ip))) {
    if (ipFamilyOf(clusterIPs[0]) === ipFamilyOf(clusterIPs[1])) {
      errs.push(
        fieldError.invalid(
          'spec.clusterIPs',
          goLiteral(goStringSlice(clusterIPs)),
          'may specify no more than one IP for each IP family',
        ),
      );
    }
  }
  return errs;
}

function goServicePortKey(protocol: string, port: number): string {
  return goStruct('core.ServicePort', [
    ['Name', '""'],
    ['Protocol', goQuote(protocol)],
    ['AppProtocol', '(*string)(nil)'],
    ['Port', String(port)],
    ['TargetPort', 'intstr.IntOrString{Type:0, IntVal:0, StrVal:""}'],
    ['NodePort', '0'],
  ]);
}

function validatePortsAndNodePorts(spec: JsonObject): Errs {
  const errs: Errs = [];
  const ports = objectsAt(spec.ports);
  if (spec.type === 'ClusterIP') {
    ports.forEach((port, i) => {
      if (numberAt(port.nodePort)) {
        errs.push(
          fieldError.forbidden(
            child(index('spec.ports', i), 'nodePort'),
            "may not be used when `type` is 'ClusterIP'",
          ),
        );
      }
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    const nodePort = numberAt(port.nodePort) ?? 0;
    if (nodePort === 0) return;
    const id = `${stringAt(port.protocol)}/${nodePort}`;
    if (nodePorts.has(id)) {
      errs.push(fieldError.duplicate(child(index('spec.ports', i), 'nodePort'), nodePort));
    }
    nodePorts.add(id);
  });
  const servicePorts = new Set<string>();
  ports.forEach((port, i) => {
    const protocol = stringAt(port.protocol);
    const number = numberAt(port.port) ?? 0;
    const id = `${protocol}/${number}`;
    if (servicePorts.has(id)) {
      errs.push(fieldError.duplicate(index('spec.ports', i), goLiteral(goServicePortKey(protocol, number))));
    }
    servicePorts.add(id);
  });
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    ports.forEach((port, i) => {
      const nodePort = numberAt(port.nodePort) ?? 0;
      if (nodePort !== 0 && (nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max)) {
        errs.push(
          fieldError.invalid(
            child(index('spec.ports', i), 'nodePort'),
            nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
          ),
        );
      }
    });
  }
  return errs;
}

function validateSourceRanges(spec: JsonObject): Errs {
  const ranges = stringsAt(spec.loadBalancerSourceRanges);
  if (ranges.length === 0) return [];
  if (spec.type !== 'LoadBalancer') {
    return [
      fieldError.forbidden('spec.loadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"),
    ];
  }
  return ranges.flatMap((range, i) =>
    isCIDR(range.trim())
      ? []
      : [fieldError.invalid(index('spec.loadBalancerSourceRanges', i), range, CIDR_ERROR)],
  );
}

function validateTrafficPolicies(spec: JsonObject): Errs {
  const errs: Errs = [];
  const external = stringAt(spec.externalTrafficPolicy);
  if (!isExternallyAccessible(spec)) {
    if (external) {
      errs.push(
        fieldError.invalid(
          'spec.externalTrafficPolicy',
          external,
          'may only be set for externally-accessible services',
        ),
      );
    }
  } else if (!external) {
    errs.push(fieldError.required('spec.externalTrafficPolicy'));
  } else if (!TRAFFIC_POLICIES.includes(external)) {
    errs.push(fieldError.notSupported('spec.externalTrafficPolicy', external, TRAFFIC_POLICIES));
  }
  const internal = spec.internalTrafficPolicy;
  if (internal === undefined || internal === null) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(stringAt(spec.type))) {
      errs.push(fieldError.required('spec.internalTrafficPolicy'));
    }
  } else if (!TRAFFIC_POLICIES.includes(stringAt(internal))) {
    errs.push(fieldError.notSupported('spec.internalTrafficPolicy', stringAt(internal), TRAFFIC_POLICIES));
  }
  return errs;
}

export function validateServiceSpec(obj: JsonObject): Errs {
  const spec = specOf(obj);
  const errs: Errs = [];
  const ports = objectsAt(spec.ports);
  if (ports.length === 0 && !isHeadless(spec) && spec.type !== 'ExternalName') {
    errs.push(fieldError.required('spec.ports'));
  }
  errs.push(...validateTypeSpecifics(spec));
  const names = new Set<string>();
  ports.forEach((port, i) =>
    errs.push(...validateServicePort(port, ports.length > 1, names, index('spec.ports', i))),
  );
  errs.push(...validateLabels(stringMapAt(spec.selector), 'spec.selector'));
  errs.push(...validateSessionAffinity(spec));
  errs.push(...validateClusterIPFields(spec));
  stringsAt(spec.externalIPs).forEach((ip, i) => {
    if (!ipFamilyOf(ip)) errs.push(fieldError.invalid(index('spec.externalIPs', i), ip, IP_ERROR));
  });
  const type = stringAt(spec.type);
  if (!type) errs.push(fieldError.required('spec.type'));
  else if (!SERVICE_TYPES.includes(type)) {
    errs.push(fieldError.notSupported('spec.type', type, SERVICE_TYPES));
  }
  errs.push(...validatePortsAndNodePorts(spec));
  errs.push(...validateSourceRanges(spec));
  errs.push(...validateTrafficPolicies(spec));
  return errs;
}

function immutableListChanges(
  newValues: string[],
  oldValues: string[],
  field: string,
  literal: string,
): Errs {
  const bad = () => fieldError.invalid(index(field, 0), goLiteral(literal), 'field is immutable');
  if (newValues.length === oldValues.length) {
    return oldValues.flatMap((value, i) =>
      value === newValues[i]
        ? []
        : [fieldError.invalid(index(field, i), goLiteral(literal), 'field is immutable')],
    );
  }
  // Adding or dropping a secondary value (dual-stack upgrade/downgrade) is allowed; the primary is not.
  if (oldValues.length > 0 && (newValues.length === 0 || newValues[0] !== oldValues[0])) return [bad()];
  return [];
}

export function validateServiceUpdate(obj: JsonObject, old: JsonObject): Errs {
  const spec = specOf(obj);
  const oldSpec = specOf(old);
  if (spec.type === 'ExternalName' || (stringAt(oldSpec.type) || 'ClusterIP') === 'ExternalName') return [];
  const ips = clusterIPsOf(spec);
  const families = stringsAt(spec.ipFamilies);
  return [
    ...immutableListChanges(ips, clusterIPsOf(oldSpec), 'spec.clusterIPs', goStringSlice(ips)),
    ...immutableListChanges(
      families,
      stringsAt(oldSpec.ipFamilies),
      'spec.ipFamilies',
      `[]core.IPFamily{${families.map(goQuote).join(', ')}}`,
    ),
  ];
}
