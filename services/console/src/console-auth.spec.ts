import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiKeyRecord } from '@clickwise/api-keys';
import { ForbiddenError, UnauthenticatedError } from '@clickwise/errors';
import { ConsoleAuth, cookieValue, KEY_COOKIE, keyCookie } from './console-auth.js';

const record = (scopes: ApiKeyRecord['scopes']): ApiKeyRecord => ({ id: 'key_1', name: 'k', scopes, ratePerSecond: 0, createdAtMs: 0 });

/** A key store of two keys: `cw_ops` (ops) and `cw_read` (read). */
const authority = {
  authenticate: (secret: string | undefined) => {
    if (secret === 'cw_ops') return Promise.resolve(record(['ops']));
    if (secret === 'cw_read') return Promise.resolve(record(['read', 'ingest']));
    return Promise.reject(new UnauthenticatedError(secret ? 'unknown API key' : 'an API key is required'));
  },
};

void describe('console auth', () => {
  void test('cookie round trip; other cookies and bad encodings ignored', () => {
    const set = keyCookie('cw_a+b/c=', 60, true);
    assert.match(set, /; HttpOnly; SameSite=Strict; Max-Age=60; Secure$/);
    const sent = `theme=dark; ${set.split(';')[0]}; x=1`;
    assert.equal(cookieValue(sent, KEY_COOKIE), 'cw_a+b/c=');
    assert.equal(cookieValue('theme=dark', KEY_COOKIE), undefined);
    assert.equal(cookieValue(`${KEY_COOKIE}=%E0%A4%A`, KEY_COOKIE), undefined);
    assert.doesNotMatch(keyCookie('k', 60, false), /Secure/);
  });

  void test('an ops key passes from header, bearer, query or cookie; none is 401; another scope is 403', async () => {
    const auth = new ConsoleAuth(authority);
    for (const request of [
      { headers: { 'x-api-key': 'cw_ops' } },
      { headers: { authorization: 'Bearer cw_ops' } },
      { headers: {}, query: { key: 'cw_ops' } },
      { headers: { cookie: `a=b; ${KEY_COOKIE}=cw_ops` } },
    ]) {
      assert.deepEqual((await auth.authorize(request)).scopes, ['ops']);
    }
    await assert.rejects(auth.authorize({ headers: {} }), UnauthenticatedError);
    await assert.rejects(auth.authorize({ headers: { cookie: `${KEY_COOKIE}=cw_wrong` } }), UnauthenticatedError);
    await assert.rejects(auth.authorize({ headers: { 'x-api-key': 'cw_read' } }), ForbiddenError);
    // A header wins over the cookie: a read key in the header is refused even with an ops cookie.
    await assert.rejects(auth.authorize({ headers: { 'x-api-key': 'cw_read', cookie: `${KEY_COOKIE}=cw_ops` } }), ForbiddenError);
  });
});
