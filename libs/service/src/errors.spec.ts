import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateLimitedError } from '@clickwise/api-keys';
import { ClickwiseError, ForbiddenError, InvalidInputError, NotFoundError, OverloadedError, UnauthenticatedError, UnavailableError } from '@clickwise/errors';
import * as grpc from '@grpc/grpc-js';
import { toGrpcStatus } from './grpc-errors.js';
import { httpAnswer } from './http-errors.js';

class OtherDomainError extends ClickwiseError {
  readonly code = 'other';
  readonly retriable = false;
}

void describe('domain errors at the edges (one table for HTTP and gRPC)', () => {
  const table: [string, unknown, number, Record<string, string>, grpc.status][] = [
    ['invalid input', new InvalidInputError('bad', 'events[0].price'), 400, {}, grpc.status.INVALID_ARGUMENT],
    ['unauthenticated', new UnauthenticatedError('who?'), 401, { 'www-authenticate': 'Bearer realm="clickwise"' }, grpc.status.UNAUTHENTICATED],
    ['forbidden', new ForbiddenError('no scope'), 403, {}, grpc.status.PERMISSION_DENIED],
    ['not found', new NotFoundError('nothing'), 404, {}, grpc.status.NOT_FOUND],
    ['overloaded', new OverloadedError('slow down', 1500), 429, { 'retry-after': '2' }, grpc.status.RESOURCE_EXHAUSTED],
    ['rate limited', new RateLimitedError('over rate', 200), 429, { 'retry-after': '1' }, grpc.status.RESOURCE_EXHAUSTED],
    ['unavailable', new UnavailableError('kafka down', 3000), 503, { 'retry-after': '3' }, grpc.status.UNAVAILABLE],
    ['another domain error', new OtherDomainError('nope'), 400, {}, grpc.status.FAILED_PRECONDITION],
    ['a bug', new TypeError('x is undefined'), 500, {}, grpc.status.INTERNAL],
  ];
  for (const [name, error, status, headers, code] of table) {
    void test(name, () => {
      const answer = httpAnswer(error);
      assert.equal(answer.status, status);
      assert.deepEqual(answer.headers, headers);
      const body = answer.body as { error: { code: string; message: string; field?: string } };
      assert.equal(body.error.code, error instanceof ClickwiseError ? error.code : 'internal');
      assert.equal(toGrpcStatus(error).code, code);
    });
  }

  void test('the field of invalid input travels in the body and in x-field metadata', () => {
    const error = new InvalidInputError('bad', 'events[0].price');
    assert.equal((httpAnswer(error).body as { error: { field: string } }).error.field, 'events[0].price');
    assert.deepEqual(toGrpcStatus(error).metadata.get('x-field'), ['events[0].price']);
  });

  void test('back-pressure carries its delay to gRPC clients in ms', () => {
    const status = toGrpcStatus(new OverloadedError('slow down', 1500));
    assert.deepEqual(status.metadata.get('retry-after-ms'), ['1500']);
    assert.deepEqual(status.metadata.get('grpc-retry-pushback-ms'), ['1500']);
  });
});
