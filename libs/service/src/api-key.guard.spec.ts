import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { apiKeyFromGrpc, apiKeyFromHttp } from './api-key.guard.js';

void describe('apiKeyFromHttp (docs/specs/http-ingest.md)', () => {
  const table: [string, Record<string, string>, unknown, string | undefined][] = [
    ['x-api-key header', { 'x-api-key': 'cw_a' }, {}, 'cw_a'],
    ['Authorization: Bearer', { authorization: 'Bearer cw_b ' }, {}, 'cw_b'],
    ['?key= for sendBeacon', {}, { key: 'cw_c' }, 'cw_c'],
    ['x-api-key wins over the others', { 'x-api-key': 'cw_a', authorization: 'Bearer cw_b' }, { key: 'cw_c' }, 'cw_a'],
    ['Bearer wins over ?key=', { authorization: 'Bearer cw_b' }, { key: 'cw_c' }, 'cw_b'],
    ['another auth scheme is no key', { authorization: 'Basic abc' }, {}, undefined],
    ['an empty Bearer is no key', { authorization: 'Bearer  ' }, {}, undefined],
    ['empty header and query', { 'x-api-key': '' }, { key: '' }, undefined],
    ['a repeated ?key= is no key', {}, { key: ['a', 'b'] }, undefined],
    ['nothing', {}, undefined, undefined],
  ];
  for (const [name, headers, query, expected] of table) {
    void test(name, () => assert.equal(apiKeyFromHttp({ headers, query }), expected));
  }
});

void describe('apiKeyFromGrpc', () => {
  const metadata = (entries: Record<string, string>) => {
    const m = new grpc.Metadata();
    for (const [k, v] of Object.entries(entries)) m.set(k, v);
    return m;
  };
  void test('x-api-key, else authorization: Bearer, else none', () => {
    assert.equal(apiKeyFromGrpc(metadata({ 'x-api-key': 'cw_a', authorization: 'Bearer cw_b' })), 'cw_a');
    assert.equal(apiKeyFromGrpc(metadata({ authorization: 'Bearer cw_b' })), 'cw_b');
    assert.equal(apiKeyFromGrpc(metadata({ authorization: 'Basic x' })), undefined);
    assert.equal(apiKeyFromGrpc(metadata({})), undefined);
  });
});
