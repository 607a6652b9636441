import type { Request, Response } from 'express';
import { certificateUser, requestAuthentication } from './request-authentication.js';
import { knownTokens } from './token-authentication.js';

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

describe('requestAuthentication on a keep-alive connection', () => {
  const authenticate = requestAuthentication({
    tokens: knownTokens([
      { token: 'alice-token', user: 'alice', groups: [] },
      { token: 'bob-token', user: 'bob', groups: ['devs'] },
    ]),
    clientCertificates: false,
  });
  const socket = {};

  /** Who one request on `socket` runs as, or its status when refused. */
  function requestAs(authorization: string | undefined): string | number {
    const res = {
      locals: {} as Record<string, unknown>,
      statusCode: 200,
      status(code: number) {
        this.statusCode = code;
        return this;
      },
      type() {
        return this;
      },
      send() {
        return this;
      },
    };
    let passed = false;
    authenticate(
      { socket, headers: { authorization }, path: '/api/v1/pods' } as unknown as Request,
      res as unknown as Response,
      () => (passed = true),
    );
    return passed ? (res.locals.user as { name: string }).name : res.statusCode;
  }

  it('authenticates each request by its own header, whatever came before on the connection', () => {
    expect(requestAs('Bearer alice-token')).toBe('alice');
    expect(requestAs('Bearer alice-token')).toBe('alice');
    expect(requestAs('Bearer bob-token')).toBe('bob');
    expect(requestAs('Bearer not-a-token')).toBe(401);
    expect(requestAs(undefined)).toBe(401);
    expect(requestAs('Bearer alice-token')).toBe('alice');
  });
});
