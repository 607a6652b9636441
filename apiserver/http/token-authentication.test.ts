import {
  authenticateBearer,
  bearerTokenMatches,
  isPublicPath,
  knownTokenHashes,
  knownTokens,
  tokenDigests,
} from './token-authentication.js';
import { createHash } from 'node:crypto';

describe('bearerTokenMatches', () => {
  const tokens = tokenDigests(['s3cret-token', 'second']);
  it.each([
    ['the token', 'Bearer s3cret-token', true],
    ['another configured token', 'Bearer second', true],
    ['a lower-case scheme', 'bearer s3cret-token', true],
    ['a wrong token', 'Bearer s3cret-tokem', false],
    ['a prefix of the token', 'Bearer s3cret', false],
    ['no header', undefined, false],
    ['basic auth', 'Basic czNjcmV0LXRva2Vu', false],
    ['an empty bearer', 'Bearer ', false],
  ])('%s → %p', (_name, header, expected) => {
    expect(bearerTokenMatches(header, tokens)).toBe(expected);
  });
});

describe('isPublicPath', () => {
  it.each([
    ['/healthz', true],
    ['/livez', true],
    ['/readyz', true],
    ['/readyz/etcd', true],
    ['/version', true],
    ['/cacerts', true],
    ['/api', false],
    ['/api/v1/namespaces/default/pods', false],
    ['/openapi/v3', false],
    ['/versions', false],
  ])('%s → %p', (path, expected) => {
    expect(isPublicPath(path)).toBe(expected);
  });
});

describe('authenticateBearer', () => {
  const tokens = knownTokens([
    { token: 'admin-token', user: 'kubicle-admin', groups: ['system:masters', 'system:authenticated'] },
    { token: 'view-token', user: 'viewer', uid: '42', groups: ['viewers'] },
    { token: '', user: 'nobody', groups: [] },
  ]);
  it.each([
    [
      'the admin token',
      'Bearer admin-token',
      { name: 'kubicle-admin', groups: ['system:masters', 'system:authenticated'] },
    ],
    [
      'a file token, joining system:authenticated',
      'Bearer view-token',
      { name: 'viewer', uid: '42', groups: ['viewers', 'system:authenticated'] },
    ],
    ['an unknown token', 'Bearer other', undefined],
    ['an empty bearer', 'Bearer ', undefined],
    ['no header', undefined, undefined],
  ])('%s', (_name, header, user) => {
    expect(authenticateBearer(header, tokens)).toEqual(user);
  });
});

describe('knownTokenHashes', () => {
  const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
  const tokens = knownTokenHashes([
    { sha256: sha256('join-secret'), user: 'system:bootstrap:kubicle', groups: ['system:bootstrappers'] },
    { sha256: sha256('upper').toUpperCase(), user: 'upper', groups: [] },
    { sha256: 'not-hex', user: 'broken', groups: [] },
  ]);
  it.each([
    [
      'the token whose hash is known',
      'Bearer join-secret',
      { name: 'system:bootstrap:kubicle', groups: ['system:bootstrappers', 'system:authenticated'] },
    ],
    ['a hash in capitals', 'Bearer upper', { name: 'upper', groups: ['system:authenticated'] }],
    ['the hash itself, which is no token', `Bearer ${sha256('join-secret')}`, undefined],
    ['another token', 'Bearer other', undefined],
  ])('%s', (_name, header, user) => {
    expect(authenticateBearer(header, tokens)).toEqual(user);
  });

  it('drops a malformed digest rather than matching with it', () => {
    expect(tokens).toHaveLength(2);
  });
});
