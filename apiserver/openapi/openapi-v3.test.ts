import { ResourceRegistry, RESOURCES } from '../resource-registry.js';
import type { JsonObject, OpenApiV3Document } from './openapi-v3.js';
import { openApiV3Document, openApiV3DocumentHash, openApiV3Index } from './openapi-v3.js';

const registry = new ResourceRegistry();

function document(group: string, version: string): OpenApiV3Document {
  const doc = openApiV3Document(registry, group, version);
  if (!doc) throw new Error(`no document for ${group}/${version}`);
  return doc;
}

function schema(doc: OpenApiV3Document, name: string): JsonObject {
  const found = doc.components.schemas[name];
  if (!found) throw new Error(`no schema ${name}`);
  return found;
}

/** Follows a property to the schema it references, the way kubectl explain does. */
function resolve(doc: OpenApiV3Document, property: JsonObject): JsonObject {
  const allOf = property.allOf as JsonObject[] | undefined;
  const target = (allOf?.[0]?.$ref ?? property.$ref) as string | undefined;
  if (!target) return property;
  return schema(doc, target.replace('#/components/schemas/', ''));
}

function property(doc: OpenApiV3Document, schemaName: string, path: string[]): JsonObject {
  let current = schema(doc, schemaName);
  let prop: JsonObject = current;
  for (const field of path) {
    prop = (current.properties as Record<string, JsonObject>)[field];
    if (!prop) throw new Error(`no property ${field} in ${path.join('.')}`);
    current = resolve(doc, prop);
  }
  return prop;
}

/** Every $ref in a document, so dangling references can be found. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refs(item, out));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') out.push(child);
      else refs(child, out);
    }
  }
  return out;
}

describe('OpenAPI v3 index', () => {
  it('lists every served group-version with a hashed URL', () => {
    const index = openApiV3Index(registry);
    const expected = [
      ...new Set(RESOURCES.map((r) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`))),
    ];
    expect(Object.keys(index.paths).sort()).toEqual(expected.sort());
    expect(index.paths['api/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    expect(index.paths['apis/apps/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=/);
    expect(index.paths['apis/coordination.k8s.io/v1']).toBeDefined();
  });

  it('gives each group-version its own hash, stable across calls and registries', () => {
    const first = openApiV3Index(registry);
    const again = openApiV3Index(new ResourceRegistry());
    expect(again).toEqual(first);
    const hashes = Object.values(first.paths).map((p) => p.serverRelativeURL.split('hash=')[1]);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(openApiV3DocumentHash(registry, 'apps', 'v1')).toBe(
      first.paths['apis/apps/v1'].serverRelativeURL.split('hash=')[1],
    );
  });

  it('changes the hash when the document changes', () => {
    const withoutDaemonSets = new ResourceRegistry(RESOURCES.filter((r) => r.kind !== 'DaemonSet'));
    expect(openApiV3DocumentHash(withoutDaemonSets, 'apps', 'v1')).not.toBe(
      openApiV3DocumentHash(registry, 'apps', 'v1'),
    );
    expect(openApiV3DocumentHash(withoutDaemonSets, '', 'v1')).toBe(
      openApiV3DocumentHash(registry, '', 'v1'),
    );
  });

  it('has no document for a group-version that is not served', () => {
    expect(openApiV3Document(registry, 'batch', 'v1')).toBeUndefined();
  });
});

describe('OpenAPI v3 group-version document', () => {
  const apps = document('apps', 'v1');
  const core = document('', 'v1');
  const deploymentItem = '/apis/apps/v1/namespaces/{namespace}/deployments/{name}';

  it('is an OpenAPI 3.0 document and is cached', () => {
    expect(apps.openapi).toBe('3.0.0');
    expect(apps.info.title).toBe('Kubernetes');
    expect(openApiV3Document(registry, 'apps', 'v1')).toBe(apps);
    expect(Object.isFrozen(apps)).toBe(true);
  });

  it('gives the deployment PATCH operation the GVK object and a fieldValidation parameter', () => {
    const patch = apps.paths[deploymentItem].patch as JsonObject;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(patch['x-kubernetes-action']).toBe('patch');
    const names = (patch.parameters as JsonObject[]).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager', 'force']));
    expect((patch.parameters as JsonObject[]).find((p) => p.name === 'fieldValidation')?.in).toBe('query');
  });

  it.each([
    ['post', '/apis/apps/v1/namespaces/{namespace}/deployments'],
    ['put', deploymentItem],
  ])('lists fieldValidation on %s', (method, path) => {
    const op = apps.paths[path][method] as JsonObject;
    expect((op.parameters as JsonObject[]).map((p) => p.name)).toContain('fieldValidation');
    expect(op['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
  });

  it.each([
    [
      '/apis/apps/v1/namespaces/{namespace}/deployments',
      ['get', 'post', 'delete'],
      ['list', 'post', 'deletecollection'],
    ],
    [deploymentItem, ['get', 'put', 'patch', 'delete'], ['get', 'put', 'patch', 'delete']],
    ['/apis/apps/v1/deployments', ['get'], ['list']],
    [`${deploymentItem}/status`, ['get', 'put', 'patch'], ['get', 'put', 'patch']],
  ])('serves %s with the operations the verbs allow', (path, methods, actions) => {
    const item = apps.paths[path];
    const present = ['get', 'put', 'patch', 'post', 'delete'].filter((m) => m in item);
    expect(present.sort()).toEqual([...methods].sort());
    expect(methods.map((m) => (item[m] as JsonObject)['x-kubernetes-action'])).toEqual(actions);
  });

  it('uses cluster paths for cluster-scoped kinds and leaves out verbs they lack', () => {
    expect(core.paths['/api/v1/nodes/{name}'].patch).toBeDefined();
    expect(core.paths['/api/v1/namespaces/{namespace}/nodes/{name}']).toBeUndefined();
    // namespaces have no deletecollection
    expect(core.paths['/api/v1/namespaces'].delete).toBeUndefined();
    expect(core.paths['/api/v1/namespaces'].post).toBeDefined();
  });

  it('describes subresources with the kinds they exchange', () => {
    const scale = apps.paths[`${deploymentItem}/scale`].patch as JsonObject;
    expect(scale['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
    expect(schema(apps, 'io.k8s.api.autoscaling.v1.Scale')['x-kubernetes-group-version-kind']).toEqual([
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    ]);
    const eviction = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post as JsonObject;
    expect(eviction['x-kubernetes-group-version-kind']).toEqual({
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
    });
    expect(schema(core, 'io.k8s.api.policy.v1.Eviction')).toBeDefined();
    expect(schema(core, 'io.k8s.api.core.v1.Binding')['x-kubernetes-group-version-kind']).toEqual([
      { group: '', version: 'v1', kind: 'Binding' },
    ]);
    const log = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get as JsonObject;
    expect(log['x-kubernetes-action']).toBe('get');
  });

  it('gives the Deployment schema its GVK list, a description and properties', () => {
    const deployment = schema(apps, 'io.k8s.api.apps.v1.Deployment');
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    expect(deployment.description).toMatch(/declarative updates for Pods and ReplicaSets/);
    expect(Object.keys(deployment.properties as JsonObject)).toEqual(
      expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec', 'status']),
    );
    expect(schema(apps, 'io.k8s.api.apps.v1.DeploymentList')['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'DeploymentList' },
    ]);
  });

  it('resolves spec.template through $ref to PodTemplateSpec and on to containers', () => {
    const template = property(apps, 'io.k8s.api.apps.v1.Deployment', ['spec', 'template']);
    expect(template.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec' }]);
    expect(resolve(apps, template).description).toMatch(/PodTemplateSpec/);
    const containers = property(apps, 'io.k8s.api.apps.v1.Deployment', [
      'spec',
      'template',
      'spec',
      'containers',
    ]);
    expect(containers.type).toBe('array');
    expect(containers.items).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }],
    });
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(containers['x-kubernetes-patch-strategy']).toBe('merge');
    expect(schema(apps, 'io.k8s.api.core.v1.PodSpec').required).toEqual(['containers']);
    expect(schema(apps, 'io.k8s.api.core.v1.Container').required).toEqual(['name']);
    expect(schema(apps, 'io.k8s.api.apps.v1.DeploymentSpec').required).toEqual(['selector', 'template']);
  });

  it.each([
    ['spec.replicas', { type: 'integer', format: 'int32' }],
    ['spec.paused', { type: 'boolean' }],
    ['metadata.labels', { type: 'object', additionalProperties: { type: 'string' } }],
    ['metadata.finalizers', { type: 'array', items: { type: 'string' } }],
    [
      'metadata.creationTimestamp',
      { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time' }] },
    ],
    [
      'spec.selector',
      { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector' }] },
    ],
    [
      'spec.strategy.rollingUpdate.maxSurge',
      { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }] },
    ],
    [
      'spec.template.spec.overhead',
      {
        type: 'object',
        additionalProperties: {
          allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' }],
        },
      },
    ],
  ])('types Deployment.%s', (path, expected) => {
    expect(property(apps, 'io.k8s.api.apps.v1.Deployment', path.split('.'))).toMatchObject(expected);
  });

  it('describes fields from the client documentation', () => {
    expect(property(apps, 'io.k8s.api.apps.v1.Deployment', ['spec', 'replicas']).description).toMatch(
      /Number of desired pods/,
    );
    expect(property(apps, 'io.k8s.api.apps.v1.Deployment', ['metadata', 'labels']).description).toMatch(
      /labels/i,
    );
  });

  it('includes the scalar and meta schemas kubectl expects', () => {
    for (const name of [
      'io.k8s.apimachinery.pkg.api.resource.Quantity',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
      'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
      'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
    ]) {
      expect(apps.components.schemas[name]).toBeDefined();
    }
    expect(schema(apps, 'io.k8s.apimachinery.pkg.util.intstr.IntOrString').format).toBe('int-or-string');
    expect(
      schema(apps, 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions')['x-kubernetes-group-version-kind'],
    ).toEqual(
      expect.arrayContaining([
        { group: '', version: 'v1', kind: 'DeleteOptions' },
        { group: 'apps', version: 'v1', kind: 'DeleteOptions' },
      ]),
    );
  });

  it('names the core Event after its upstream package and marks microsecond times', () => {
    expect(schema(core, 'io.k8s.api.core.v1.Event')['x-kubernetes-group-version-kind']).toEqual([
      { group: '', version: 'v1', kind: 'Event' },
    ]);
    const lease = document('coordination.k8s.io', 'v1');
    expect(property(lease, 'io.k8s.api.coordination.v1.Lease', ['spec', 'renewTime']).allOf).toEqual([
      { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime' },
    ]);
  });

  it.each([
    ['', 'v1'],
    ['apps', 'v1'],
    ['coordination.k8s.io', 'v1'],
  ])('has no dangling references in %s/%s', (group, version) => {
    const doc = document(group, version);
    const missing = refs(doc)
      .map((r) => r.replace('#/components/schemas/', ''))
      .filter((name) => !doc.components.schemas[name]);
    expect(missing).toEqual([]);
  });

  it('gives every served kind a PATCH operation that kubectl can find', () => {
    for (const r of RESOURCES.filter((res) => res.verbs.includes('patch'))) {
      const doc = document(r.group, r.version);
      const patches = Object.values(doc.paths)
        .map((item) => item.patch as JsonObject | undefined)
        .filter((op): op is JsonObject => !!op);
      const match = patches.find(
        (op) =>
          JSON.stringify(op['x-kubernetes-group-version-kind']) ===
          JSON.stringify({ group: r.group, kind: r.kind, version: r.version }),
      );
      expect({ kind: r.kind, found: !!match }).toEqual({ kind: r.kind, found: true });
      expect((match?.parameters as JsonObject[]).map((p) => p.name)).toContain('fieldValidation');
      const kindSchemas = Object.values(doc.components.schemas).filter((s) =>
        JSON.stringify(s['x-kubernetes-group-version-kind'] ?? []).includes(`"kind":"${r.kind}"`),
      );
      expect(kindSchemas.length).toBeGreaterThan(0);
    }
  });
});
