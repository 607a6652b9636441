/**
 * RoleBinding and ClusterRoleBinding columns as upstream prints them: ROLE as `Kind/name`, AGE, and
 * with `-o wide` the bound users, groups and service accounts (`namespace/name`), each comma-joined.
 * Roles and ClusterRoles use the default `Name, Created At` pair, which is what upstream prints too.
 */

import { AGE_COLUMN, NAME_COLUMN, ageOf, arrayOf, nameOf, recordOf, stringOf } from './print-helpers.js';
import type { ResourcePrinter } from './table-types.js';
import { column } from './table-types.js';

const ROLE_REF_DOC =
  'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.';

function subjectNames(subjects: unknown, kind: string): string {
  return arrayOf(subjects)
    .filter((s) => s.kind === kind)
    .map((s) =>
      kind === 'ServiceAccount' ? `${stringOf(s.namespace)}/${stringOf(s.name)}` : stringOf(s.name),
    )
    .join(', ');
}

export const roleBindingPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Role', 'string', ROLE_REF_DOC),
    AGE_COLUMN,
    column('Users', 'string', 'Users in the roleBinding', { priority: 1 }),
    column('Groups', 'string', 'Groups in the roleBinding', { priority: 1 }),
    column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', { priority: 1 }),
  ],
  cells(binding, now) {
    const ref = recordOf(binding.roleRef);
    return [
      nameOf(binding),
      `${stringOf(ref.kind)}/${stringOf(ref.name)}`,
      ageOf(binding, now),
      subjectNames(binding.subjects, 'User'),
      subjectNames(binding.subjects, 'Group'),
      subjectNames(binding.subjects, 'ServiceAccount'),
    ];
  },
};
