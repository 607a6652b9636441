/**
 * Who a request runs as, as authentication establishes it and authorization consumes it: upstream's
 * user.Info (name, uid, groups), with the well-known names upstream gives special meaning.
 */

export interface UserInfo {
  name: string;
  uid?: string;
  groups: readonly string[];
}

/** Members are allowed everything, before and regardless of RBAC, as upstream. */
export const SYSTEM_MASTERS = 'system:masters';
export const SYSTEM_AUTHENTICATED = 'system:authenticated';
export const SYSTEM_UNAUTHENTICATED = 'system:unauthenticated';

/** The user `ApiServerConfig.tokens` (the cluster's admin token) authenticates as. */
export const ADMIN_USER: UserInfo = {
  name: 'kubicle-admin',
  groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED],
};

export const ANONYMOUS_USER: UserInfo = {
  name: 'system:anonymous',
  groups: [SYSTEM_UNAUTHENTICATED],
};

/** The user of a server that authenticates nobody: upstream's old insecure port ran requests as this. */
export const UNSECURED_USER: UserInfo = {
  name: 'system:unsecured',
  groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED],
};

/** Every authenticated user is in `system:authenticated`, as upstream's authenticator adds it. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(SYSTEM_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, SYSTEM_AUTHENTICATED] };
}
