import { formatTokenHashes, keptOrNew, parseTokenHashes, sha256Hex } from './cluster-token.js';

describe('token hash file', () => {
  it('writes lines the token-file parser reads back, groups quoted', () => {
    const hashes = [
      { sha256: sha256Hex('a'), user: 'kubicle-admin', groups: ['system:masters'] },
      { sha256: sha256Hex('b'), user: 'system:bootstrap:kubicle', uid: '7', groups: ['x', 'y'] },
      { sha256: sha256Hex('c'), user: 'quote"d', groups: [] },
    ];
    const text = formatTokenHashes(hashes);
    expect(text.split('\n')[1]).toBe(`${sha256Hex('b')},system:bootstrap:kubicle,7,"x,y"`);
    expect(parseTokenHashes(text, 'f')).toEqual(hashes);
    expect(text).not.toContain('\na,');
  });

  it('lower-cases digests so the server compares them as bytes', () => {
    expect(parseTokenHashes(`${'AB'.repeat(32)},u,,"g"\n`, 'f')[0].sha256).toBe('ab'.repeat(32));
  });
});

describe('keptOrNew', () => {
  const stored = { sha256: sha256Hex('kubicle-old'), user: 'kubicle-admin', groups: [] };
  it.each([
    ['the candidate whose hash is stored', 'kubicle-old', stored, true],
    ['not a candidate whose hash differs', 'kubicle-other', stored, false],
    ['not a candidate with nothing stored', 'kubicle-old', undefined, false],
    ['not an absent candidate', undefined, stored, false],
  ])('keeps %s', (_name, candidate, hash, kept) => {
    const result = keptOrNew(candidate, hash);
    expect(result === candidate).toBe(kept);
    expect(result).toMatch(/^kubicle-[0-9a-z]+$/);
  });
});
