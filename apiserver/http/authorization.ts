/**
 * Authorization of every authenticated request, after authentication (which leaves the user in
 * `res.locals`) and before any body is read: the request's attributes (auth/request-attributes.ts)
 * go to the authorizer chain (auth/authorizer-chain.ts: the Node authorizer, then RBAC over the
 * in-memory policy); a denial is upstream's 403 Status (auth/forbidden.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import type { ChainAuthorizer } from '../auth/authorizer-chain.js';
import { forbidden } from '../auth/forbidden.js';
import { requestAttributes } from '../auth/request-attributes.js';
import { requestUser } from './token-authentication.js';

export function requestAuthorization(authorize: ChainAuthorizer) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      const attrs = {
        ...requestAttributes(req.method, req.path, req.query as Record<string, unknown>),
        user: requestUser(res),
      };
      const decision = authorize(attrs);
      next(decision.allowed ? undefined : forbidden(attrs, decision.reason));
    } catch (err) {
      next(err);
    }
  };
}
