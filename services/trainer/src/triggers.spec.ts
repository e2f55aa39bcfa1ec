import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffUntil, eventsSince, parseState, triggerFor, type RunSummary, type TriggerInput } from './triggers.js';

const log = [
  { partition: 0, from: 0n, until: 100n },
  { partition: 1, from: 50n, until: 80n },
];

const input = (over: Partial<TriggerInput> = {}): TriggerInput => ({
  nowMs: 1_000_000,
  backoffUntilMs: 0,
  eventsSinceTrained: 0,
  retrainAfterEvents: 100,
  scheduleDueAtMs: 2_000_000,
  logSize: 130,
  quiet: true,
  needsModel: false,
  ...over,
});

const run = (over: Partial<RunSummary>): RunSummary => ({
  runId: 'r',
  token: 1,
  instanceId: 'i',
  trigger: 'events',
  startedAtMs: 0,
  endedAtMs: 1000,
  outcome: 'ok',
  events: 0,
  ends: {},
  jobs: [],
  ...over,
});

void describe('trainer triggers', () => {
  void it('counts events after the trained offsets, from the log start where none or an expired one is stored', () => {
    assert.equal(eventsSince({}, log), 130);
    assert.equal(eventsSince({ '0': '60', '1': '80' }, log), 40);
    assert.equal(eventsSince({ '0': '100', '1': '10' }, log), 30); // offset 10 is below the log start (retention)
    assert.equal(eventsSince({ '0': '100', '1': '80' }, log), 0);
  });

  void it('decides the trigger', () => {
    const table: [string, Partial<TriggerInput>, string | undefined][] = [
      ['nothing due', {}, undefined],
      ['N events', { eventsSinceTrained: 100 }, 'events'],
      ['N-1 events', { eventsSinceTrained: 99 }, undefined],
      ['schedule due', { scheduleDueAtMs: 1_000_000 }, 'schedule'],
      ['schedule due, empty topic', { scheduleDueAtMs: 0, logSize: 0 }, undefined],
      ['no model, new events, quiet', { needsModel: true, eventsSinceTrained: 1 }, 'no-model'],
      ['no model, topic still growing', { needsModel: true, eventsSinceTrained: 1, quiet: false }, undefined],
      ['no model, nothing new', { needsModel: true, eventsSinceTrained: 0 }, undefined],
      ['backing off beats everything', { backoffUntilMs: 1_000_001, eventsSinceTrained: 1000, scheduleDueAtMs: 0, needsModel: true }, undefined],
      ['backoff over', { backoffUntilMs: 1_000_000, eventsSinceTrained: 1000 }, 'events'],
      ['events before schedule', { eventsSinceTrained: 100, scheduleDueAtMs: 0 }, 'events'],
    ];
    for (const [name, over, want] of table) assert.equal(triggerFor(input(over)), want, name);
  });

  void it('backs off only after a failed run', () => {
    assert.equal(backoffUntil({ trainedOffsets: {} }, 500), 0);
    assert.equal(backoffUntil({ trainedOffsets: {}, lastRun: run({ outcome: 'ok' }) }, 500), 0);
    assert.equal(backoffUntil({ trainedOffsets: {}, lastRun: run({ outcome: 'aborted' }) }, 500), 0);
    assert.equal(backoffUntil({ trainedOffsets: {}, lastRun: run({ outcome: 'failed', endedAtMs: 7000 }) }, 500), 7500);
  });

  void it('treats a missing or unreadable state as none', () => {
    assert.deepEqual(parseState(null), { trainedOffsets: {} });
    assert.deepEqual(parseState('{nope'), { trainedOffsets: {} });
    assert.deepEqual(parseState('{"lastRun":1}'), { trainedOffsets: {} });
    assert.deepEqual(parseState('{"trainedOffsets":{"0":"5"}}'), { trainedOffsets: { '0': '5' } });
  });
});
