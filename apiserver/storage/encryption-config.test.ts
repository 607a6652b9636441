import {
  EncryptionConfigError,
  parseEncryptionConfig,
  validateEncryptionConfig,
} from './encryption-config.js';

const key32 = Buffer.alloc(32, 7).toString('base64');
const key16 = Buffer.alloc(16, 1).toString('base64');
const key24 = Buffer.alloc(24, 2).toString('base64');

function config(resources: unknown): Record<string, unknown> {
  return { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources };
}

function secretsWith(providers: unknown): Record<string, unknown> {
  return config([{ resources: ['secrets'], providers }]);
}

function problemsOf(doc: unknown): string[] {
  try {
    validateEncryptionConfig(doc);
  } catch (err) {
    if (err instanceof EncryptionConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseEncryptionConfig', () => {
  it('reads upstream YAML: providers in order, keys decoded', () => {
    const parsed = parseEncryptionConfig(`
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aesgcm:
          keys:
            - name: key2
              secret: ${key16}
            - name: key1
              secret: ${key32}
      - identity: {}
`);
    expect(parsed.secrets).toEqual([
      {
        type: 'aesgcm',
        keys: [
          { name: 'key2', secret: Buffer.alloc(16, 1) },
          { name: 'key1', secret: Buffer.alloc(32, 7) },
        ],
      },
      { type: 'identity' },
    ]);
  });

  it('reads the same document as JSON', () => {
    const json = JSON.stringify(secretsWith([{ identity: {} }]));
    expect(parseEncryptionConfig(json)).toEqual({ secrets: [{ type: 'identity' }] });
  });

  it('accepts 16, 24 and 32-byte aesgcm keys, as upstream', () => {
    const doc = secretsWith([
      {
        aesgcm: {
          keys: [
            { name: 'a', secret: key16 },
            { name: 'b', secret: key24 },
            { name: 'c', secret: key32 },
          ],
        },
      },
    ]);
    const [provider] = validateEncryptionConfig(doc).secrets;
    expect(provider.type === 'aesgcm' && provider.keys.map((k) => k.secret.length)).toEqual([16, 24, 32]);
  });

  it('reports bad YAML by position only, never quoting the file', () => {
    const secretish = 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==';
    let message = '';
    try {
      parseEncryptionConfig(`resources:\n  - name: x\n    secret: ${secretish}\n   bad: [`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/not valid YAML or JSON at line \d+/);
    expect(message).not.toContain(secretish);
  });

  const aes = (keys: unknown) => secretsWith([{ aesgcm: { keys } }]);
  it.each<[string, unknown, RegExp]>([
    ['a document that is not an object', 'just text', /must be an object/],
    ['a wrong apiVersion', { ...secretsWith([{ identity: {} }]), apiVersion: 'v1' }, /^apiVersion: must be/],
    ['a wrong kind', { ...secretsWith([{ identity: {} }]), kind: 'EncryptionConfig' }, /^kind: must be/],
    ['no resources', config([]), /^resources: must be a non-empty list/],
    [
      'an entry without resources',
      config([{ resources: [], providers: [{ identity: {} }] }]),
      /resources\[0\]\.resources: must be a non-empty list/,
    ],
    ['empty providers', secretsWith([]), /resources\[0\]\.providers: must be a non-empty list/],
    [
      'missing providers',
      config([{ resources: ['secrets'] }]),
      /resources\[0\]\.providers: must be a non-empty list/,
    ],
    [
      'an unknown provider',
      secretsWith([{ aescbc: { keys: [{ name: 'k', secret: key32 }] } }]),
      /provider "aescbc" is not supported \(supported: aesgcm, identity\)/,
    ],
    ['kms', secretsWith([{ kms: { name: 'x' } }]), /provider "kms" is not supported/],
    [
      'two providers in one element',
      secretsWith([{ aesgcm: { keys: [{ name: 'k', secret: key32 }] }, identity: {} }]),
      /exactly one provider/,
    ],
    ['an empty provider element', secretsWith([{}]), /exactly one provider/],
    [
      'aesgcm without keys',
      secretsWith([{ aesgcm: { keys: [] } }]),
      /aesgcm\.keys: must be a non-empty list/,
    ],
    [
      'bad base64',
      aes([{ name: 'k', secret: 'not base64!!' }]),
      /keys\[0\]\.secret: not valid base64 \(key "k"\)/,
    ],
    [
      'a 31-byte key',
      aes([{ name: 'k', secret: Buffer.alloc(31).toString('base64') }]),
      /must decode to 16, 24, 32 bytes, got 31/,
    ],
    ['a 20-byte key', aes([{ name: 'k', secret: Buffer.alloc(20).toString('base64') }]), /got 20/],
    ['a missing secret', aes([{ name: 'k' }]), /keys\[0\]\.secret: required/],
    ['a missing key name', aes([{ secret: key32 }]), /keys\[0\]\.name: required/],
    ['a key name with a colon', aes([{ name: 'a:b', secret: key32 }]), /must not contain ":"/],
    [
      'duplicate key names',
      aes([
        { name: 'k', secret: key32 },
        { name: 'k', secret: key16 },
      ]),
      /keys\[1\]\.name: duplicate key name "k"/,
    ],
    [
      'configmaps (only secrets can be encrypted here)',
      config([{ resources: ['secrets', 'configmaps'], providers: [{ identity: {} }] }]),
      /resources\[0\]\.resources\[1\]: "configmaps" cannot be encrypted \(supported: secrets\)/,
    ],
    [
      'a wildcard',
      config([{ resources: ['*.*'], providers: [{ identity: {} }] }]),
      /"\*\.\*" cannot be encrypted/,
    ],
    [
      'secrets twice',
      config([
        { resources: ['secrets'], providers: [{ identity: {} }] },
        { resources: ['secrets'], providers: [{ identity: {} }] },
      ]),
      /resources\[1\]\.resources\[0\]: duplicate resource "secrets"/,
    ],
  ])('rejects %s', (_case, doc, expected) => {
    const problems = problemsOf(doc);
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });

  it('reports every problem at once, with key material never in the message', () => {
    const secret = Buffer.alloc(20, 9).toString('base64');
    const doc = {
      ...aes([
        { name: 'k', secret },
        { name: '', secret: 'zz' },
      ]),
      kind: 'Nope',
    };
    let error: unknown;
    try {
      validateEncryptionConfig(doc);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EncryptionConfigError);
    const { problems, message } = error as EncryptionConfigError;
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('zz');
  });
});
