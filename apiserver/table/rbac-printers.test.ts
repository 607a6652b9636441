import { roleBindingPrinter } from './rbac-printers.js';

describe('roleBindingPrinter', () => {
  it('prints the role as Kind/name and the subjects by kind, as upstream', () => {
    const now = new Date('2024-01-01T00:10:00Z');
    const binding = {
      metadata: { name: 'devs', namespace: 'team', creationTimestamp: '2024-01-01T00:00:00Z' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [
        { kind: 'User', name: 'jane' },
        { kind: 'Group', name: 'devs' },
        { kind: 'User', name: 'bob' },
        { kind: 'ServiceAccount', name: 'builder', namespace: 'ci' },
      ],
    };
    expect(roleBindingPrinter.columns.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Role', 0],
      ['Age', 0],
      ['Users', 1],
      ['Groups', 1],
      ['ServiceAccounts', 1],
    ]);
    expect(roleBindingPrinter.cells(binding, now)).toEqual([
      'devs',
      'ClusterRole/edit',
      '10m',
      'jane, bob',
      'devs',
      'ci/builder',
    ]);
  });

  it('leaves the subject cells empty for a binding without subjects', () => {
    const binding = { metadata: { name: 'x' }, roleRef: { kind: 'Role', name: 'r' } };
    expect(roleBindingPrinter.cells(binding, new Date()).slice(3)).toEqual(['', '', '']);
  });
});
