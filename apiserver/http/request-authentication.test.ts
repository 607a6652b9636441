import { certificateUser } from './request-authentication.js';

describe('certificateUser', () => {
  it.each([
    [
      'CN and one O',
      { CN: 'system:node:a', O: 'system:nodes' },
      { name: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] },
    ],
    [
      'every O as a group',
      { CN: 'dev', O: ['team-a', 'team-b'] },
      { name: 'dev', groups: ['team-a', 'team-b', 'system:authenticated'] },
    ],
    ['no O', { CN: 'system:kube-proxy' }, { name: 'system:kube-proxy', groups: ['system:authenticated'] }],
    ['no CN', { O: 'system:masters' }, undefined],
    ['an empty CN', { CN: '', O: 'system:masters' }, undefined],
    ['two CNs', { CN: ['a', 'b'] }, undefined],
    ['no subject', undefined, undefined],
  ])('%s', (_name, subject, user) => {
    expect(certificateUser(subject)).toEqual(user);
  });
});
