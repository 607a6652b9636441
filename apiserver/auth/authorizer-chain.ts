/**
 * Several authorizers asked in turn, as upstream's union authorizer runs `--authorization-mode`
 * (here Node, then RBAC). Pure.
 *
 * Contract:
 * - Each authorizer allows, denies or has no opinion, with a reason. The first that allows or denies
 *   decides; with no opinion the next is asked.
 * - A request nobody allowed is refused; its reason is every reason given on the way, in order, joined
 *   by newlines as upstream joins them (the 403 message ends with it).
 */
import type { Decision, RbacPolicy } from './rbac-authorizer.js';
import { authorize } from './rbac-authorizer.js';
import type { Attributes } from './request-attributes.js';

export type Verdict = 'allow' | 'deny' | 'no-opinion';

export interface AuthorizerDecision {
  verdict: Verdict;
  reason: string;
}

export type Authorizer = (attrs: Attributes) => AuthorizerDecision;

/** The final answer of a chain: what the HTTP layer and SelfSubjectAccessReview act on. */
export type ChainAuthorizer = (attrs: Attributes) => Decision;

/** RBAC grants or stays silent, never denies: a later authorizer could still allow. */
export function rbacAuthorizer(policy: RbacPolicy): Authorizer {
  return (attrs) => {
    const decision = authorize(attrs, policy);
    return { verdict: decision.allowed ? 'allow' : 'no-opinion', reason: decision.reason };
  };
}

export function authorizerChain(authorizers: readonly Authorizer[]): ChainAuthorizer {
  return (attrs) => {
    const reasons: string[] = [];
    for (const authorizer of authorizers) {
      const { verdict, reason } = authorizer(attrs);
      if (verdict !== 'no-opinion') return { allowed: verdict === 'allow', reason };
      if (reason) reasons.push(reason);
    }
    return { allowed: false, reason: reasons.join('\n') };
  };
}
