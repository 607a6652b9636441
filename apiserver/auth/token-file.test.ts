import { csvFields, parseTokenFile } from './token-file.js';

describe('csvFields', () => {
  it.each<[string, string[]]>([
    ['a,b,c', ['a', 'b', 'c']],
    ['a,b,', ['a', 'b', '']],
    ['t,u,1,"g1,g2"', ['t', 'u', '1', 'g1,g2']],
    ['t, u, 1', ['t', 'u', '1']],
    ['"say ""hi""",x', ['say "hi"', 'x']],
  ])('%s', (line, fields) => {
    expect(csvFields(line)).toEqual(fields);
  });

  it.each(['"open,b', 'a"b,c', '"a"b,c'])('refuses broken quoting in %s', (line) => {
    expect(() => csvFields(line)).toThrow();
  });
});

describe('parseTokenFile', () => {
  it('reads users, uids and groups as upstream', () => {
    const text = [
      'tok-admin,alice,1,"system:masters,devs"',
      'tok-view,bob,2',
      '',
      'tok-nouid,carol,',
      ',nobody,4',
      'tok-view,bobby,5,ops',
    ].join('\n');
    expect(parseTokenFile(text, 'tokens.csv')).toEqual([
      { token: 'tok-admin', user: 'alice', uid: '1', groups: ['system:masters', 'devs'] },
      { token: 'tok-view', user: 'bobby', uid: '5', groups: ['ops'] },
      { token: 'tok-nouid', user: 'carol', groups: [] },
    ]);
  });

  it('refuses lines with fewer than three columns, as upstream', () => {
    expect(() => parseTokenFile('tok,user\n', 'tokens.csv')).toThrow(
      "token file 'tokens.csv' must have at least 3 columns (token, user name, user uid), found 2",
    );
  });
});
