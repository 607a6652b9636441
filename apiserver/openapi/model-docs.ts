/**
 * Type and field descriptions, and which fields are required, read from the JSDoc of the generated
 * client's declaration files (`dist/gen/models/<Model>.d.ts`): the class comment is the upstream
 * type description, each property comment the field description, and a property without `?` is
 * required upstream. The files are read lazily and cached; when the package layout is not as
 * expected the documents simply go without descriptions.
 */
import * as clientModels from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface FieldDoc {
  description?: string;
  required: boolean;
}

export interface ModelDoc {
  description?: string;
  /** Keyed by JSON name. */
  fields: Map<string, FieldDoc>;
}

interface AttributeType {
  name: string;
  baseName: string;
}

let modelsDirectory: string | null | undefined;

function findModelsDirectory(): string | null {
  if (modelsDirectory !== undefined) return modelsDirectory;
  try {
    const entry = createRequire(import.meta.url).resolve('@kubernetes/client-node');
    modelsDirectory = join(dirname(entry), 'gen', 'models');
  } catch {
    modelsDirectory = null;
  }
  return modelsDirectory;
}

function cleanComment(raw: string): string | undefined {
  const text = raw
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .join('\n')
    .trim();
  return text || undefined;
}

/** The TS property name differs from the JSON name for a few fields (`_continue`, `ref` for `$ref`). */
function jsonNames(modelName: string): Map<string, string> {
  const cls = (clientModels as unknown as Record<string, { getAttributeTypeMap?: () => AttributeType[] }>)[
    modelName
  ];
  const names = new Map<string, string>();
  if (cls && typeof cls.getAttributeTypeMap === 'function') {
    for (const attr of cls.getAttributeTypeMap()) names.set(attr.name, attr.baseName);
  }
  return names;
}

/** Parses the text of one generated declaration file. */
export function parseModelDeclaration(source: string, modelName: string): ModelDoc | undefined {
  const classMatch = new RegExp(
    String.raw`(?:/\*\*((?:(?!\*/)[\s\S])*)\*/\s*)?export declare class ${modelName}\b[^{]*\{`,
  ).exec(source);
  if (!classMatch) return undefined;
  const body = source.slice(classMatch.index + classMatch[0].length);
  const names = jsonNames(modelName);
  const fields = new Map<string, FieldDoc>();
  const property = /(?:\/\*\*((?:(?!\*\/)[\s\S])*?)\*\/\s*)?'([^']+)'(\?)?\s*:/g;
  for (let m = property.exec(body); m; m = property.exec(body)) {
    const jsonName = names.get(m[2]) ?? m[2];
    fields.set(jsonName, {
      description: m[1] === undefined ? undefined : cleanComment(m[1]),
      required: !m[3],
    });
  }
  return { description: classMatch[1] === undefined ? undefined : cleanComment(classMatch[1]), fields };
}

const cache = new Map<string, ModelDoc | undefined>();

/** Descriptions of a client model; undefined when its declaration file cannot be read. */
export function modelDoc(modelName: string): ModelDoc | undefined {
  if (cache.has(modelName)) return cache.get(modelName);
  let doc: ModelDoc | undefined;
  const directory = findModelsDirectory();
  if (directory && /^\w+$/.test(modelName)) {
    try {
      doc = parseModelDeclaration(readFileSync(join(directory, `${modelName}.d.ts`), 'utf8'), modelName);
    } catch {
      doc = undefined;
    }
  }
  cache.set(modelName, doc);
  return doc;
}
