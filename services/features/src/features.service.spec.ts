import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DeadLetterSchema, EventSchema, EventType, FeatureUpdateSchema, type Event } from '@clickwise/contracts';
import { SharedBatch, type CommitResult, type EventOutcome, type OpenedPartition, type PreparedBatch, type StoredPosition } from '@clickwise/feature-store';
import type { FeatureEvent } from '@clickwise/features';
import type { ConsumedRecord, OutgoingRecord, PartitionBatch } from '@clickwise/kafka';
import { createMetricsRegistry } from '@clickwise/telemetry';
import { FeaturesMetrics } from './features.metrics.js';
import { FeatureState, FeaturesService, NoticeSink } from './features.service.js';
import { SectionLock } from './mutex.js';
import { decodeOutbox, encodeOutbox } from './outbox-codec.js';

/** A feature state whose outcomes and commit results the test decides. */
class FakeState extends FeatureState {
  readonly definitionsVersion = 'v-test';
  stored = new Map<number, string | null>();
  open_ = new Set<number>();
  outcomes = new Map<string, EventOutcome['status']>();
  commitResults: CommitResult[] = [];
  commits: { partition: number; next: string; events: number }[] = [];
  prepared: { partition: number; values: boolean[] }[] = [];
  meta = true;
  metaCreated = 0;
  erased: string[] = [];
  /** Partition → the outbox the last commit wrote (what Redis would hold). */
  outboxes = new Map<number, { next: string; payload: Buffer }>();
  /** Every outbox passed to commit. */
  written: Buffer[] = [];
  /** Commits, sends and clears in the order they happened. */
  readonly journal: string[];

  constructor(journal: string[]) {
    super();
    this.journal = journal;
  }

  open(partition: number): Promise<OpenedPartition> {
    this.open_.add(partition);
    return Promise.resolve({ offset: this.stored.get(partition) ?? null, clockMs: -Infinity, outbox: this.outboxes.get(partition) ?? null });
  }
  /** When set, clears wait for the test to settle them (a slow or failing Redis round trip). */
  clearGate: { wait: Promise<void> } | undefined;
  clearOutbox(partition: number, next: string): Promise<boolean> {
    this.journal.push(`clear ${partition}@${next}`);
    if (this.clearGate) {
      return this.clearGate.wait.then(() => {
        this.journal.push(`cleared ${partition}@${next}`);
        if (this.outboxes.get(partition)?.next !== next) return false;
        this.outboxes.delete(partition);
        return true;
      });
    }
    if (this.outboxes.get(partition)?.next !== next) return Promise.resolve(false);
    this.outboxes.delete(partition);
    return Promise.resolve(true);
  }
  isOpen(partition: number): boolean {
    return this.open_.has(partition);
  }
  storedOffset(partition: number): string | null | undefined {
    return this.open_.has(partition) ? (this.stored.get(partition) ?? null) : undefined;
  }
  close(partition: number): void {
    this.open_.delete(partition);
  }
  closeAll(): void {
    this.open_.clear();
  }
  prepare(partition: number, events: readonly FeatureEvent[], notify: (index: number) => boolean): Promise<PreparedBatch> {
    this.prepared.push({ partition, values: events.map((_, i) => notify(i)) });
    const outcomes: EventOutcome[] = events.map((event, i) => {
      const status = this.outcomes.get(event.eventId) ?? 'applied';
      if (status === 'too_late') return { event, status, reason: 'too late: test' };
      if (status === 'erased') return { event, status };
      return { event, status, snapshotVersion: i + 1, refMs: event.timeMs, ...(notify(i) ? { changed: [{ name: 'shopper_events_1h', value: i + 1 }] } : {}) };
    });
    return Promise.resolve({ partition, outcomes, dirty: new Map(), dirtyTtl: new Map(), newSessions: [], shared: new SharedBatch(), clockMs: 5 });
  }
  commit(batch: PreparedBatch, nextOffset: string, outbox: Buffer | null): Promise<CommitResult> {
    const result = this.commitResults.shift() ?? 'ok';
    this.commits.push({ partition: batch.partition, next: nextOffset, events: batch.outcomes.length });
    this.journal.push(`commit ${batch.partition}@${nextOffset} ${result}`);
    if (outbox !== null) this.written.push(outbox);
    if (result === 'ok') {
      this.stored.set(batch.partition, nextOffset);
      if (outbox === null) this.outboxes.delete(batch.partition);
      else this.outboxes.set(batch.partition, { next: nextOffset, payload: outbox });
    }
    else this.close(batch.partition);
    if (result === 'lost') this.meta = false;
    return Promise.resolve(result);
  }
  erase(shopperKey: string): Promise<number> {
    this.erased.push(shopperKey);
    return Promise.resolve(3);
  }
  ensureMeta(): Promise<boolean> {
    const created = !this.meta;
    this.meta = true;
    if (created) this.metaCreated++;
    return Promise.resolve(created);
  }
  metaExists(): Promise<boolean> {
    return Promise.resolve(this.meta);
  }
  positions(): Promise<Map<number, StoredPosition>> {
    return Promise.resolve(new Map<number, StoredPosition>());
  }
}

class FakeNotices extends NoticeSink {
  updates: OutgoingRecord[] = [];
  letters: OutgoingRecord[] = [];
  fail = false;

  constructor(private readonly journal: string[]) {
    super();
  }

  send(updates: OutgoingRecord[], deadLetters: OutgoingRecord[]): Promise<void> {
    this.journal.push(`send ${updates.length}+${deadLetters.length}${this.fail ? ' failed' : ''}`);
    if (this.fail) return Promise.reject(new Error('Kafka is down'));
    this.updates.push(...updates);
    this.letters.push(...deadLetters);
    return Promise.resolve();
  }
}

function record(offset: number, id: string, partition = 0): ConsumedRecord<typeof EventSchema> {
  const value: Event = create(EventSchema, { eventId: id, type: EventType.PRODUCT_VIEW, userId: `u-${id}`, sessionId: 's', itemId: 'i', eventTimeMs: 1_700_000_000_000n + BigInt(offset) });
  return { topic: 't', partition, offset: String(offset), key: `u-${id}`, value, headers: {}, timestampMs: Date.now(), raw: Buffer.from(toBinary(EventSchema, value)) };
}

function batch(from: number, ids: string[], options: Partial<PartitionBatch<typeof EventSchema>> = {}): PartitionBatch<typeof EventSchema> {
  const records = ids.map((id, i) => record(from + i, id, options.partition ?? 0));
  return { partition: 0, from: String(from), next: String(from + ids.length), records, logStart: '0', committed: null, ...options };
}

function setup(options: { noticeValues?: boolean } = {}) {
  const journal: string[] = [];
  const state = new FakeState(journal);
  const notices = new FakeNotices(journal);
  const service = new FeaturesService(state, notices, new FeaturesMetrics(createMetricsRegistry('features-test', { processMetrics: false })), {
    sourceTopic: 'clickstream.events.v1',
    noticeValues: options.noticeValues,
  });
  return { state, notices, service, journal };
}

void describe('FeaturesService', () => {
  void it('notifies every applied event, dead-letters too-late (with payload) and erased (without), then commits the range', async () => {
    const { state, notices, service } = setup();
    state.outcomes.set('b', 'too_late');
    state.outcomes.set('c', 'erased');
    assert.equal(await service.handle(batch(0, ['a', 'b', 'c', 'd'])), 'ok');
    assert.deepEqual(state.commits, [{ partition: 0, next: '4', events: 4 }]);
    const updates = notices.updates.map((u) => fromBinary(FeatureUpdateSchema, u.value));
    assert.deepEqual(updates.map((u) => [u.eventId, u.snapshotVersion, u.definitionsVersion]), [['a', 1n, 'v-test'], ['d', 4n, 'v-test']]);
    assert.deepEqual(notices.updates.map((u) => u.key), ['u-a', 'u-d']);
    assert.equal(updates[0]!.changed.length, 0, 'values only when asked for');
    const letters = notices.letters.map((l) => ({ key: l.key, letter: fromBinary(DeadLetterSchema, l.value) }));
    assert.deepEqual(letters.map((l) => [l.key, l.letter.eventId, l.letter.reasonCode]), [['u-b', 'b', 'too_late'], [null, 'c', 'shopper_erased']]);
    assert.ok(letters[0]!.letter.payload.length > 0);
    assert.equal(letters[1]!.letter.payload.length, 0);
    assert.equal(letters[0]!.letter.originalOffset, 1n);
  });

  void it('puts the changed values in the notices when configured to', async () => {
    const { notices, service } = setup({ noticeValues: true });
    await service.handle(batch(0, ['a']));
    const update = fromBinary(FeatureUpdateSchema, notices.updates[0]!.value);
    assert.deepEqual(update.changed.map((c) => [c.name, c.value]), [['shopper_events_1h', 1]]);
  });

  void it('does not notify again records below the committed offset (a rebuild), but applies them', async () => {
    const { state, notices, service } = setup({ noticeValues: true });
    await service.handle(batch(0, ['a', 'b', 'c'], { committed: '2' }));
    assert.deepEqual(notices.updates.map((u) => fromBinary(FeatureUpdateSchema, u.value).eventId), ['c']);
    assert.deepEqual(state.prepared[0]!.values, [false, false, true]);
    assert.equal(state.commits[0]!.events, 3);
  });

  void it('refuses a range that does not start where the stored state stands', async () => {
    const { state, service } = setup();
    state.stored.set(0, '10');
    assert.equal(await service.handle(batch(7, ['a'])), 'reopen');
    assert.equal(state.prepared.length, 0);
    // Nothing stored: only a range from the log's start is accepted.
    state.stored.delete(0);
    state.closeAll();
    assert.equal(await service.handle(batch(3, ['a'], { logStart: '0' })), 'reopen');
    assert.equal(await service.handle(batch(0, ['a'], { logStart: '0' })), 'ok');
  });

  void it('reopens when fenced; on a lost state recreates the sentinel, drops every partition and asks to reopen all', async () => {
    const { state, service } = setup();
    let reopened = 0;
    service.onStateLost = () => {
      reopened++;
      return Promise.resolve();
    };
    state.commitResults = ['fenced'];
    assert.equal(await service.handle(batch(0, ['a'])), 'reopen');
    assert.equal(reopened, 0);
    state.commitResults = ['lost'];
    await state.open(3);
    assert.equal(await service.handle(batch(0, ['a'])), 'reopen');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(state.metaCreated, 1);
    assert.equal(state.isOpen(3), false);
    assert.equal(reopened, 1);
    // The watchdog finds the sentinel again: nothing more to do.
    await service.checkState();
    assert.equal(reopened, 1);
  });

  void it('writes the state with its notices as the outbox, then sends the notices, then clears the outbox', async () => {
    const { state, notices, service, journal } = setup();
    state.outcomes.set('b', 'too_late');
    assert.equal(await service.handle(batch(0, ['a', 'b'])), 'ok');
    assert.deepEqual(journal, ['commit 0@2 ok', 'send 1+1', 'clear 0@2']);
    assert.equal(state.outboxes.size, 0);
    // The outbox the commit wrote held exactly the records that were sent.
    const written = decodeOutbox(state.written[0]!);
    assert.deepEqual(written.updates, notices.updates);
    assert.deepEqual(written.deadLetters, notices.letters);
  });

  void it('sends nothing and writes no outbox for a fenced range', async () => {
    const { state, notices, service, journal } = setup();
    state.commitResults = ['fenced'];
    assert.equal(await service.handle(batch(0, ['a'])), 'reopen');
    assert.deepEqual(journal, ['commit 0@1 fenced']);
    assert.equal(notices.updates.length, 0);
    assert.equal(state.outboxes.size, 0);
  });

  void it('keeps the outbox when the notices cannot be sent after the state write; the next open sends it first', async () => {
    const { state, notices, service, journal } = setup();
    state.outcomes.set('b', 'too_late');
    notices.fail = true;
    await assert.rejects(service.handle(batch(0, ['a', 'b'])), /Kafka is down/);
    assert.deepEqual(journal, ['commit 0@2 ok', 'send 1+1 failed']);
    assert.equal(state.isOpen(0), false);
    const pending = decodeOutbox(state.outboxes.get(0)!.payload);
    assert.deepEqual(pending.updates.map((u) => fromBinary(FeatureUpdateSchema, u.value).eventId), ['a']);
    assert.deepEqual(pending.deadLetters.map((l) => fromBinary(DeadLetterSchema, l.value).eventId), ['b']);
    // Opening again (as the consumer does after a failed range) fails while Kafka is down...
    await assert.rejects(service.open(0), /Kafka is down/);
    assert.ok(state.outboxes.has(0));
    // ...and sends the outbox, then clears it, once Kafka is back.
    notices.fail = false;
    assert.equal(await service.open(0), '2');
    assert.deepEqual(journal.slice(2), ['send 1+1 failed', 'send 1+1', 'clear 0@2']);
    assert.deepEqual(notices.updates.map((u) => fromBinary(FeatureUpdateSchema, u.value).eventId), ['a']);
    assert.deepEqual(notices.letters.map((l) => fromBinary(DeadLetterSchema, l.value).eventId), ['b']);
    assert.equal(state.outboxes.size, 0);
    // The next range goes on from the stored offset.
    assert.equal(await service.handle(batch(2, ['c'])), 'ok');
    assert.deepEqual(journal.slice(-3), ['commit 0@3 ok', 'send 1+0', 'clear 0@3']);
  });

  void it('does not hold the batch for the outbox delete; the partition\'s next range waits for it', async () => {
    const { state, notices, service, journal } = setup();
    let release!: () => void;
    state.clearGate = { wait: new Promise<void>((resolve) => (release = resolve)) };
    // The batch is done once Kafka acknowledged its notices; the delete is still in flight.
    assert.equal(await service.handle(batch(0, ['a'])), 'ok');
    assert.deepEqual(journal, ['commit 0@1 ok', 'send 1+0', 'clear 0@1']);
    assert.ok(state.outboxes.has(0));
    // The next range of the partition starts only after the delete answered.
    const next = service.handle(batch(1, ['b']));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(journal.slice(3), []);
    release();
    state.clearGate = undefined;
    assert.equal(await next, 'ok');
    assert.deepEqual(journal.slice(3), ['cleared 0@1', 'commit 0@2 ok', 'send 1+0', 'clear 0@2']);
    await service.clearsSettled();
    assert.equal(state.outboxes.size, 0);
    assert.deepEqual(notices.updates.map((u) => fromBinary(FeatureUpdateSchema, u.value).eventId), ['a', 'b']);
  });

  void it('a failed outbox delete leaves the outbox and closes the partition: its next range sends the outbox again first', async () => {
    const { state, notices, service, journal } = setup();
    state.clearGate = { wait: Promise.reject(new Error('Redis timed out')) };
    assert.equal(await service.handle(batch(0, ['a'])), 'ok');
    state.clearGate = undefined;
    assert.equal(await service.handle(batch(1, ['b'])), 'ok');
    // Twice, as after a crash; never none.
    assert.deepEqual(journal, ['commit 0@1 ok', 'send 1+0', 'clear 0@1', 'send 1+0', 'clear 0@1', 'commit 0@2 ok', 'send 1+0', 'clear 0@2']);
    assert.deepEqual(notices.updates.map((u) => fromBinary(FeatureUpdateSchema, u.value).eventId), ['a', 'a', 'b']);
    assert.equal(state.outboxes.size, 0);
  });

  void it('a crash after the state write: a fresh instance sends the outbox it finds before applying more', async () => {
    const journal: string[] = [];
    const state = new FakeState(journal);
    const left = { updates: [{ key: 'u-x', value: Buffer.from('notice'), headers: { traceparent: 't' } }], deadLetters: [] };
    state.stored.set(0, '5');
    state.outboxes.set(0, { next: '5', payload: encodeOutbox(left) });
    const notices = new FakeNotices(journal);
    const service = new FeaturesService(state, notices, new FeaturesMetrics(createMetricsRegistry('features-test', { processMetrics: false })), { sourceTopic: 't' });
    assert.equal(await service.handle(batch(5, ['y'])), 'ok');
    assert.deepEqual(journal, ['send 1+0', 'clear 0@5', 'commit 0@6 ok', 'send 1+0', 'clear 0@6']);
    assert.deepEqual(notices.updates[0], left.updates[0]);
  });
});

void describe('SectionLock', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  void it('runs partitions side by side, one section per partition at a time, and an exclusive section alone', async () => {
    const lock = new SectionLock();
    const log: string[] = [];
    const section = (name: string) => async () => {
      log.push(`${name}+`);
      await tick();
      log.push(`${name}-`);
    };
    await Promise.all([
      lock.partition(0, section('p0a')),
      lock.partition(1, section('p1')),
      lock.partition(0, section('p0b')),
      lock.exclusive(section('x')),
      lock.partition(2, section('p2')),
    ]);
    assert.deepEqual(log.slice(0, 2), ['p0a+', 'p1+'], 'two partitions at once');
    assert.ok(log.indexOf('p0b+') > log.indexOf('p0a-'), 'one section per partition');
    const x = log.indexOf('x+');
    assert.ok(x > log.indexOf('p0b-') && x > log.indexOf('p1-'), 'the exclusive section waits for every running one');
    assert.ok(log.indexOf('p2+') > log.indexOf('x-'), 'and later sections wait for it');
  });
});
