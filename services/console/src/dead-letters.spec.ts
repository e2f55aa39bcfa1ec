import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadLetterTally } from './dead-letters.js';

void test('dead letters counted by stage and reason code, largest first, newest reason kept', () => {
  const tally = new DeadLetterTally();
  const letter = (stage: string, reasonCode: string, reason: string, at: number) => ({ stage, source: 'http', reasonCode, reason, rejectedAtMs: at });
  tally.add(letter('ingestion', 'invalid_field', 'price must be ≥ 0', 10));
  tally.add(letter('features', 'too_late', 'event 3 days late', 11));
  tally.add(letter('ingestion', 'invalid_field', 'type is unknown', 30));
  tally.add(letter('ingestion', 'invalid_field', 'older one read later', 20));
  assert.equal(tally.total, 4);
  assert.deepEqual(
    tally.reasons().map((r) => [r.stage, r.reasonCode, r.count, r.lastReason]),
    [
      ['ingestion', 'invalid_field', 3, 'type is unknown'],
      ['features', 'too_late', 1, 'event 3 days late'],
    ],
  );
});
