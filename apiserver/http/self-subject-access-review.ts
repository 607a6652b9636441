/**
 * The one route of `selfsubjectaccessreviews`: POST computes the review for the requesting user
 * (auth/access-review.ts) with the chain that authorizes requests; a review is never stored, so every other method is refused as upstream's
 * create-only resources refuse them.
 */
import type { NextFunction, Request, Response } from 'express';
import { badRequest, methodNotAllowed } from '../api-error.js';
import { isPlainObject } from '../api-object.js';
import type { KubeObject } from '../api-object.js';
import { reviewSelfAccess } from '../auth/access-review.js';
import type { ChainAuthorizer } from '../auth/authorizer-chain.js';
import { parseObjectBody } from './request-body.js';
import { requestUser } from './token-authentication.js';

export const SELF_SUBJECT_ACCESS_REVIEWS_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

export function selfSubjectAccessReviewHandler(authorize: ChainAuthorizer) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path !== SELF_SUBJECT_ACCESS_REVIEWS_PATH) return next();
    try {
      if (req.method !== 'POST') throw methodNotAllowed();
      const body: unknown = parseObjectBody(req.headers['content-type'], req.body as Buffer | undefined);
      if (!isPlainObject(body)) throw badRequest('the request body must be a SelfSubjectAccessReview object');
      const review = reviewSelfAccess(body as KubeObject, requestUser(res), authorize);
      res.status(201).type('application/json').send(JSON.stringify(review));
    } catch (err) {
      next(err);
    }
  };
}
