/**
 * Reads an EncryptionConfiguration (`apiserver.config.k8s.io/v1`, YAML or JSON) as upstream's
 * `--encryption-provider-config` takes it, and checks it whole before the server starts.
 *
 * Contract:
 * - Only Secrets can be encrypted here: a resource other than `secrets` is rejected, so a config
 *   written for more (e.g. configmaps, `*.*`) fails loudly instead of leaving data in plaintext that
 *   the operator believes encrypted.
 * - Providers: `aesgcm` (keys of 16, 24 or 32 bytes, as upstream) and `identity`. Any other provider
 *   (aescbc, secretbox, kms) is rejected with a message naming the supported ones.
 * - Every problem found is reported at once, each with its field path. Key material never appears in
 *   a message: a bad secret is named by its path and key name only, and YAML errors by position only
 *   (the YAML library would quote the offending line).
 */
import { parse, YAMLParseError } from 'yaml';
import { isPlainObject } from '../api-object.js';

export interface AesGcmKey {
  name: string;
  /** 16, 24 or 32 bytes: AES-128, -192 or -256. */
  secret: Buffer;
}

export type EncryptionProvider = { type: 'aesgcm'; keys: AesGcmKey[] } | { type: 'identity' };

export interface EncryptionConfig {
  /** For Secrets, in order: the first provider writes, every one of them may read. */
  secrets: EncryptionProvider[];
}

export const SUPPORTED_PROVIDERS = ['aesgcm', 'identity'] as const;
export const SUPPORTED_RESOURCES = ['secrets'] as const;

const API_VERSION = 'apiserver.config.k8s.io/v1';
const KIND = 'EncryptionConfiguration';
const AES_KEY_LENGTHS = [16, 24, 32];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class EncryptionConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid encryption provider config: ${problems.join('; ')}`);
  }
}

/** Parses and validates the file's text; throws EncryptionConfigError listing every problem. */
export function parseEncryptionConfig(text: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const at = err.linePos?.[0];
      throw new EncryptionConfigError([
        `not valid YAML or JSON${at ? ` at line ${at.line}, column ${at.col}` : ''} (${err.code})`,
      ]);
    }
    throw err;
  }
  return validateEncryptionConfig(doc);
}

/** Validates an already parsed document (e.g. from JSON). */
export function validateEncryptionConfig(doc: unknown): EncryptionConfig {
  const problems: string[] = [];
  if (!isPlainObject(doc)) throw new EncryptionConfigError(['the document must be an object']);
  if (doc.apiVersion !== API_VERSION) problems.push(`apiVersion: must be ${API_VERSION}`);
  if (doc.kind !== KIND) problems.push(`kind: must be ${KIND}`);

  let secrets: EncryptionProvider[] | undefined;
  const entries = doc.resources;
  if (!Array.isArray(entries) || entries.length === 0) {
    problems.push('resources: must be a non-empty list');
  } else {
    entries.forEach((entry: unknown, i) => {
      const path = `resources[${i}]`;
      if (!isPlainObject(entry)) {
        problems.push(`${path}: must be an object`);
        return;
      }
      const names = entry.resources;
      if (!Array.isArray(names) || names.length === 0) {
        problems.push(`${path}.resources: must be a non-empty list`);
      } else {
        names.forEach((name: unknown, j) => {
          if (name === 'secrets') {
            if (secrets !== undefined || names.indexOf(name) !== j)
              problems.push(`${path}.resources[${j}]: duplicate resource "secrets"`);
          } else {
            problems.push(
              `${path}.resources[${j}]: ${typeof name === 'string' ? `"${name}"` : 'this value'} cannot be ` +
                `encrypted (supported: ${SUPPORTED_RESOURCES.join(', ')})`,
            );
          }
        });
      }
      const providers = validateProviders(entry.providers, `${path}.providers`, problems);
      if (Array.isArray(names) && names.includes('secrets')) secrets ??= providers;
    });
  }
  if (problems.length) throw new EncryptionConfigError(problems);
  return { secrets: secrets ?? [] };
}

function validateProviders(value: unknown, path: string, problems: string[]): EncryptionProvider[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${path}: must be a non-empty list`);
    return [];
  }
  const providers: EncryptionProvider[] = [];
  const keyNames = new Set<string>();
  value.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(item)) {
      problems.push(`${at}: must be an object with exactly one provider`);
      return;
    }
    const types = Object.keys(item);
    if (types.length !== 1) {
      problems.push(
        `${at}: must name exactly one provider (supported: ${SUPPORTED_PROVIDERS.join(', ')}), found ${types.length}`,
      );
      return;
    }
    const [type] = types;
    const body = item[type];
    if (type === 'identity') {
      if (body !== null && !isPlainObject(body)) problems.push(`${at}.identity: must be an object`);
      providers.push({ type: 'identity' });
    } else if (type === 'aesgcm') {
      const keys = validateAesGcm(body, `${at}.aesgcm`, keyNames, problems);
      if (keys) providers.push({ type: 'aesgcm', keys });
    } else {
      problems.push(
        `${at}: provider "${type}" is not supported (supported: ${SUPPORTED_PROVIDERS.join(', ')})`,
      );
    }
  });
  return providers;
}

function validateAesGcm(
  body: unknown,
  path: string,
  keyNames: Set<string>,
  problems: string[],
): AesGcmKey[] | undefined {
  if (!isPlainObject(body) || !Array.isArray(body.keys) || body.keys.length === 0) {
    problems.push(`${path}.keys: must be a non-empty list`);
    return undefined;
  }
  const keys: AesGcmKey[] = [];
  body.keys.forEach((key: unknown, i) => {
    const at = `${path}.keys[${i}]`;
    if (!isPlainObject(key)) {
      problems.push(`${at}: must be an object with name and secret`);
      return;
    }
    const { name, secret } = key;
    let nameOk = false;
    if (typeof name !== 'string' || name === '') problems.push(`${at}.name: required`);
    else if (name.includes(':'))
      problems.push(`${at}.name: must not contain ":" (it ends the stored prefix)`);
    else if (keyNames.has(name)) problems.push(`${at}.name: duplicate key name "${name}"`);
    else nameOk = true;
    if (typeof name === 'string') keyNames.add(name);
    const label = typeof name === 'string' && name ? ` (key "${name}")` : '';
    if (typeof secret !== 'string' || secret === '') {
      problems.push(`${at}.secret: required${label}`);
      return;
    }
    if (!BASE64.test(secret)) {
      problems.push(`${at}.secret: not valid base64${label}`);
      return;
    }
    const bytes = Buffer.from(secret, 'base64');
    if (!AES_KEY_LENGTHS.includes(bytes.length)) {
      problems.push(
        `${at}.secret: must decode to ${AES_KEY_LENGTHS.join(', ')} bytes, got ${bytes.length}${label}`,
      );
      return;
    }
    if (nameOk) keys.push({ name: name as string, secret: bytes });
  });
  return keys;
}
