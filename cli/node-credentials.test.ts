import { ApiStatusError } from '../machinery/api-status-error.js';
import {
  answerProblem,
  describeJoinFailure,
  kubeletClientSubject,
  storedCredentialsUsable,
} from './node-credentials.js';

describe('describeJoinFailure', () => {
  const server = 'https://10.0.0.1:6443';
  it.each([
    [
      new ApiStatusError(401, 'Unauthorized', 'Unauthorized'),
      /refused the join token \(401 Unauthorized\): check --token/,
    ],
    [new ApiStatusError(403, 'Forbidden', 'no'), /refused the join token \(403 Forbidden\)/],
    [new ApiStatusError(404, 'NotFound', 'x'), /hands out no node credentials \(404\).*--kubeconfig/],
    [
      new ApiStatusError(400, 'BadRequest', 'nodeName "X": bad'),
      /refused the node credentials request \(400 BadRequest\): nodeName "X": bad/,
    ],
    [
      new Error('connect ECONNREFUSED'),
      /cannot get node credentials from https:\/\/10\.0\.0\.1:6443: connect ECONNREFUSED/,
    ],
  ])('%s', (err, message) => {
    expect(describeJoinFailure(err, server)).toMatch(message);
  });
});

describe('storedCredentialsUsable', () => {
  it.each([
    ['nothing stored', {}],
    ['no proxy certificate', { kubeletCert: 'x', caCert: 'y' }],
    ['unreadable certificates', { kubeletCert: 'x', proxyCert: 'x', caCert: 'y' }],
  ])('is false with %s', (_name, stored) => {
    expect(storedCredentialsUsable(stored, 'n', undefined, Date.now())).toBe(false);
  });
});

describe('answerProblem', () => {
  it.each([
    ['no answer', undefined, /without certificates/],
    ['no certificates', { caCertificate: 'x' }, /without certificates/],
    ['no CA when none was verified', { kubeletCertificate: 'a', proxyCertificate: 'b' }, /without its CA/],
    [
      'unreadable certificates',
      { kubeletCertificate: 'a', proxyCertificate: 'b', caCertificate: 'c' },
      /system:node:n/,
    ],
  ])('finds %s', (_name, answer, problem) => {
    expect(answerProblem(answer, 'n', undefined)).toMatch(problem);
  });

  it('names the kubelet identity', () => {
    expect(kubeletClientSubject('w')).toEqual({
      commonName: 'system:node:w',
      organizations: ['system:nodes'],
    });
  });
});
