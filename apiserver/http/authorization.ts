/**
 * Authorization of every authenticated request, after authentication (which leaves the user in
 * `res.locals`) and before any body is read: the request's attributes (auth/request-attributes.ts)
 * go to the RBAC decision (auth/rbac-authorizer.ts) over the in-memory policy; a denial is
 * upstream's 403 Status (auth/forbidden.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import { forbidden } from '../auth/forbidden.js';
import type { RbacPolicy } from '../auth/rbac-authorizer.js';
import { authorize } from '../auth/rbac-authorizer.js';
import { requestAttributes } from '../auth/request-attributes.js';
import { requestUser } from './token-authentication.js';

export function rbacAuthorization(policy: RbacPolicy) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      const attrs = {
        ...requestAttributes(req.method, req.path, req.query as Record<string, unknown>),
        user: requestUser(res),
      };
      const decision = authorize(attrs, policy);
      next(decision.allowed ? undefined : forbidden(attrs, decision.reason));
    } catch (err) {
      next(err);
    }
  };
}
