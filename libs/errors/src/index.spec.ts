import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ClickwiseError,
  ForbiddenError,
  InvalidInputError,
  isRetriable,
  NotFoundError,
  OverloadedError,
  UnauthenticatedError,
  UnavailableError,
} from './index.js';

void describe('domain errors', () => {
  const cases: [ClickwiseError, string, string, boolean][] = [
    [new InvalidInputError('price must be >= 0', 'events[3].price'), 'InvalidInputError', 'invalid_input', false],
    [new UnauthenticatedError('no API key'), 'UnauthenticatedError', 'unauthenticated', false],
    [new ForbiddenError('missing scope events:write'), 'ForbiddenError', 'forbidden', false],
    [new NotFoundError('no such model'), 'NotFoundError', 'not_found', false],
    [new OverloadedError('too many events', 250), 'OverloadedError', 'overloaded', true],
    [new UnavailableError('Kafka is down'), 'UnavailableError', 'unavailable', true],
  ];
  for (const [error, name, code, retriable] of cases) {
    void test(`${name}: code ${code}, retriable ${retriable}`, () => {
      assert.ok(error instanceof ClickwiseError);
      assert.ok(error instanceof Error);
      assert.equal(error.name, name);
      assert.equal(error.code, code);
      assert.equal(error.retriable, retriable);
      assert.equal(isRetriable(error), retriable);
      assert.ok(error.stack?.includes(name));
    });
  }

  void test('carry their details: field, retryAfterMs, cause', () => {
    assert.equal(new InvalidInputError('bad', 'events[3].price').field, 'events[3].price');
    assert.equal(new InvalidInputError('bad').field, undefined);
    assert.equal(new OverloadedError('slow down', 250).retryAfterMs, 250);
    assert.equal(new UnavailableError('down').retryAfterMs, 1000);
    const cause = new Error('ECONNREFUSED');
    const error = new UnavailableError('Redis is not answering', 500, { cause });
    assert.equal(error.retryAfterMs, 500);
    assert.equal(error.cause, cause);
  });
});

void describe('isRetriable', () => {
  const table: [string, unknown, boolean][] = [
    ['an unknown Error (may be transient)', new Error('socket hang up'), true],
    ['a TypeError', new TypeError('x is undefined'), true],
    ['a thrown string', 'boom', true],
    ['undefined', undefined, true],
    ['null', null, true],
    ['a number', 42, true],
    ['an object without the flag', { message: 'x' }, true],
    ['a kafkajs-style error with retriable: false', Object.assign(new Error('Topic not found'), { retriable: false }), false],
    ['a kafkajs-style error with retriable: true', Object.assign(new Error('Leader not available'), { retriable: true }), true],
    ['a plain object with retriable: false', { retriable: false }, false],
    ['a falsy flag (0)', { retriable: 0 }, false],
    ['a truthy flag ("yes")', { retriable: 'yes' }, true],
    ['a domain error wrapped as a cause only', new Error('wrapped', { cause: new InvalidInputError('bad') }), true],
  ];
  for (const [label, value, expected] of table) {
    void test(`${label} → ${expected}`, () => assert.equal(isRetriable(value), expected));
  }

  void test('a subclass decides through its own flag', () => {
    class PoisonError extends ClickwiseError {
      readonly code = 'poison';
      readonly retriable = false;
    }
    const error = new PoisonError('cannot be handled');
    assert.equal(error.name, 'PoisonError');
    assert.equal(isRetriable(error), false);
  });
});
