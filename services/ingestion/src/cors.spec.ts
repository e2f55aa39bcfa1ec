import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { corsHeaders, installCors, parseCorsOrigins } from './cors.js';

void describe('CORS', () => {
  void it('parses the allow-list', () => {
    assert.equal(parseCorsOrigins('*'), '*');
    assert.equal(parseCorsOrigins(''), '*');
    assert.deepEqual(parseCorsOrigins(' https://shop.example/, http://127.0.0.1:3000 '), ['https://shop.example', 'http://127.0.0.1:3000']);
  });

  void it('echoes an allowed origin, and gives nothing to others', () => {
    const policy = { origins: ['https://shop.example'], maxAgeSeconds: 600 };
    assert.deepEqual(corsHeaders(policy, 'https://shop.example', true), {
      vary: 'Origin',
      'access-control-allow-origin': 'https://shop.example',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, x-api-key, authorization',
      'access-control-max-age': '600',
    });
    assert.deepEqual(corsHeaders(policy, 'https://evil.example', true), { vary: 'Origin' });
    assert.deepEqual(corsHeaders(policy, undefined, false), { vary: 'Origin' });
    assert.deepEqual(corsHeaders({ origins: '*', maxAgeSeconds: 1 }, 'https://any.example', false), {
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'retry-after',
    });
  });

  void it('answers the preflight and decorates POST answers, errors too, on /v1/events only', async () => {
    const app = Fastify();
    installCors(app, { origins: ['http://shop.test'], maxAgeSeconds: 60 });
    app.post('/v1/events', (_req, reply) => reply.code(401).send({ error: { code: 'unauthenticated' } }));
    app.get('/health/live', () => ({ ok: true }));
    try {
      const pre = await app.inject({
        method: 'OPTIONS',
        url: '/v1/events?key=x',
        headers: { origin: 'http://shop.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
      });
      assert.equal(pre.statusCode, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'http://shop.test');
      assert.equal(pre.headers['access-control-allow-headers'], 'content-type, x-api-key, authorization');
      assert.equal(pre.headers['access-control-max-age'], '60');
      const post = await app.inject({ method: 'POST', url: '/v1/events', headers: { origin: 'http://shop.test', 'content-type': 'application/json' }, payload: '{}' });
      assert.equal(post.statusCode, 401);
      assert.equal(post.headers['access-control-allow-origin'], 'http://shop.test');
      assert.equal(post.headers['access-control-expose-headers'], 'retry-after');
      const other = await app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'http://shop.test' } });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    } finally {
      await app.close();
    }
  });
});
