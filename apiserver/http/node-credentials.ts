/**
 * `POST /v1-kubicle/node-credentials`: how a joining host gets its node's client certificates. It
 * sends CSRs for keys it made and keeps; the server signs them with the cluster CA for the
 * identities a node's components have: the kubelet `system:node:<nodeName>` in `system:nodes`, the
 * service proxy `system:kube-proxy`. The subjects are decided here, never taken from the CSRs.
 *
 * Contract: RBAC alone decides who may call it (the join secret's `system:bootstrappers` are
 * granted it, see auth/bootstrap-policy.ts). Body `{nodeName, kubeletCsr, proxyCsr}` as JSON;
 * `nodeName` must be a DNS-1123 subdomain and each CSR one PEM certificate request, else 400. The
 * answer is 201 `{kubeletCertificate, proxyCertificate, caCertificate}` (PEM). A CSR the signer
 * cannot sign (unreadable, or its signature does not verify) is 400 as well. Signing is the
 * caller's (`signer`), so the API server holds no CA code of its own.
 */
import type { NextFunction, Request, Response } from 'express';
import { badRequest, methodNotAllowed } from '../api-error.js';
import { isPlainObject } from '../api-object.js';
import { isDNS1123Subdomain } from '../admission/name-rules.js';
import { parseObjectBody } from './request-body.js';

export const NODE_CREDENTIALS_PATH = '/v1-kubicle/node-credentials';

/** The subject a client certificate is signed for: user = CN, groups = every O. */
export interface ClientCertificateSubject {
  commonName: string;
  organizations: readonly string[];
}

/** Signs a CSR (PEM) with the cluster CA for `subject`, giving the certificate (PEM). */
export type ClientCertificateSigner = (
  csrPem: string,
  subject: ClientCertificateSubject,
) => Promise<string> | string;

export interface NodeCredentialsRequest {
  nodeName: string;
  kubeletCsr: string;
  proxyCsr: string;
}

export interface NodeCredentials {
  kubeletCertificate: string;
  proxyCertificate: string;
  caCertificate: string;
}

/** A CSR is a few hundred bytes; anything far larger is not one. */
const MAX_CSR_LENGTH = 16 * 1024;
const CSR_PEM =
  /^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\r?\n?$/;

export function kubeletSubject(nodeName: string): ClientCertificateSubject {
  return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
}

export const PROXY_SUBJECT: ClientCertificateSubject = { commonName: 'system:kube-proxy', organizations: [] };

function csrField(body: Record<string, unknown>, field: 'kubeletCsr' | 'proxyCsr'): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length > MAX_CSR_LENGTH || !CSR_PEM.test(value.trim() + '\n'))
    throw badRequest(`${field} must be one PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)`);
  return value;
}

/** The request out of a parsed JSON body, or a 400 saying what is wrong. Pure. */
export function parseNodeCredentialsRequest(body: unknown): NodeCredentialsRequest {
  if (!isPlainObject(body))
    throw badRequest('the request body must be a JSON object {nodeName, kubeletCsr, proxyCsr}');
  const nodeName = body.nodeName;
  if (typeof nodeName !== 'string' || nodeName === '') throw badRequest('nodeName is required');
  const problems = isDNS1123Subdomain(nodeName);
  if (problems.length) throw badRequest(`nodeName ${JSON.stringify(nodeName)}: ${problems.join('; ')}`);
  return { nodeName, kubeletCsr: csrField(body, 'kubeletCsr'), proxyCsr: csrField(body, 'proxyCsr') };
}

async function sign(
  signer: ClientCertificateSigner,
  field: string,
  csr: string,
  subject: ClientCertificateSubject,
): Promise<string> {
  try {
    return await signer(csr, subject);
  } catch (err) {
    throw badRequest(`${field} could not be signed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function nodeCredentialsHandler(signer: ClientCertificateSigner, caCertificate: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.path !== NODE_CREDENTIALS_PATH) return next();
    try {
      if (req.method !== 'POST') throw methodNotAllowed();
      const request = parseNodeCredentialsRequest(
        parseObjectBody(req.headers['content-type'], req.body as Buffer | undefined),
      );
      const answer: NodeCredentials = {
        kubeletCertificate: await sign(
          signer,
          'kubeletCsr',
          request.kubeletCsr,
          kubeletSubject(request.nodeName),
        ),
        proxyCertificate: await sign(signer, 'proxyCsr', request.proxyCsr, PROXY_SUBJECT),
        caCertificate,
      };
      res.status(201).type('application/json').send(JSON.stringify(answer));
    } catch (err) {
      next(err);
    }
  };
}
