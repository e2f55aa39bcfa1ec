import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '@clickwise/errors';
import { parseScopes } from './scopes.js';

void describe('parseScopes', () => {
  void it('parses a comma list, trims and dedupes', () => {
    assert.deepEqual(parseScopes(' ingest, backfill,ingest '), ['ingest', 'backfill']);
    assert.deepEqual(parseScopes('watch-all,ops,read'), ['watch-all', 'ops', 'read']);
  });
  void it('names unknown scopes', () => {
    assert.throws(() => parseScopes('ingest,admin'), (e: unknown) => e instanceof InvalidInputError && /"admin"/.test(e.message));
  });
  void it('needs at least one', () => {
    assert.throws(() => parseScopes(' , '), InvalidInputError);
  });
});
