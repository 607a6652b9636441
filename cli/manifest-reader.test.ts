import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { manifestFiles, parseManifests, readManifests } from './manifest-reader.js';

describe('parseManifests', () => {
  it('reads every document, skips empty ones and expands Lists', () => {
    const text = [
      '---',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}',
      '# only a comment',
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n- {apiVersion: v1, kind: Service, metadata: {name: c}}',
      '',
    ].join('\n---\n');
    expect(parseManifests(text, 'f.yaml').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/a',
      'Secret/b',
      'Service/c',
    ]);
  });

  it('reads JSON', () => {
    expect(
      parseManifests('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}', 'p.json')[0].metadata.name,
    ).toBe('p');
  });

  it('gives objects without metadata an empty one', () => {
    expect(parseManifests('apiVersion: v1\nkind: Namespace', 'ns.yaml')[0].metadata).toEqual({});
  });

  it.each<[string, string, string]>([
    [
      'a missing kind',
      'apiVersion: v1\nmetadata: {name: a}',
      `unable to decode "x.yaml": Object 'Kind' is missing`,
    ],
    ['a missing apiVersion', 'kind: Pod', `unable to decode "x.yaml": Object 'apiVersion' is missing`],
    ['a scalar document', 'just text', 'unable to decode "x.yaml": not a Kubernetes object'],
    ['broken YAML', 'a: [\n', 'error parsing x.yaml:'],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseManifests(text, 'x.yaml')).toThrow(message);
  });
});

describe('reading files', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-manifests-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    fs.writeFileSync(
      path.join(dir, 'a.json'),
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}',
    );
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
    fs.writeFileSync(
      path.join(dir, 'sub', 'c.yml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes a directory’s manifests in name order, subdirectories only with -R', () => {
    expect(manifestFiles(dir, false).map((f) => path.relative(dir, f))).toEqual(['a.json', 'b.yaml']);
    expect(manifestFiles(dir, true).map((f) => path.relative(dir, f))).toEqual([
      'a.json',
      'b.yaml',
      'sub/c.yml',
    ]);
  });

  it('reads files, directories and standard input in the order given', () => {
    const manifests = readManifests([path.join(dir, 'sub', 'c.yml'), '-', dir], {
      readStdin: () => 'apiVersion: v1\nkind: Pod\nmetadata: {name: from-stdin}\n',
    });
    expect(manifests.map((m) => [m.object.metadata.name, path.basename(m.source)])).toEqual([
      ['c', 'c.yml'],
      ['from-stdin', 'STDIN'],
      ['a', 'a.json'],
      ['b', 'b.yaml'],
    ]);
  });

  it('says which path does not exist', () => {
    expect(() => readManifests([path.join(dir, 'missing.yaml')])).toThrow(
      `the path "${path.join(dir, 'missing.yaml')}" does not exist`,
    );
  });

  it('needs at least one -f', () => {
    expect(() => readManifests([])).toThrow('must specify one of -f and -k');
  });
});
