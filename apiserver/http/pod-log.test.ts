import { kubeletRefusal } from './pod-log.js';

describe('kubeletRefusal', () => {
  it.each([
    [404, 404, 'NotFound'],
    [401, 401, 'Unauthorized'],
    [403, 403, 'Forbidden'],
    [400, 400, 'BadRequest'],
    [500, 400, 'BadRequest'],
  ])('turns the kubelet status %i into %i %s with its text', (status, code, reason) => {
    const err = kubeletRefusal(status, 'the kubelet says no');
    expect([err.code, err.reason, err.message]).toEqual([code, reason, 'the kubelet says no']);
  });
});
