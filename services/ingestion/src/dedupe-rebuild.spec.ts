import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { UnavailableError } from '@clickwise/errors';
import { DedupeGuard, type EventsSource, type GuardedStore } from './dedupe-rebuild.js';
import { DedupeStateLostError, type DedupeSentinel } from './dedupe.store.js';
import type { ClaimStatus } from './ingestion.ports.js';

/** An in-memory Redis dedupe store: ids, a sentinel, a run id. */
class FakeStore implements GuardedStore {
  readonly ttl = 60_000;
  layout = 'generations:30000x2';
  ids = new Map<string, { value: string; ttlMs?: number }>();
  sentinel: DedupeSentinel | undefined;
  runId = 'run-1';

  claim(eventIds: readonly string[], token: string): Promise<ClaimStatus[]> {
    if (!this.sentinel) return Promise.reject(new DedupeStateLostError());
    return Promise.resolve(
      eventIds.map((id) => {
        const old = this.ids.get(id);
        if (!old) this.ids.set(id, { value: token });
        return !old ? 'new' : old.value === '1' ? 'duplicate' : 'in_flight';
      }),
    );
  }
  commit(eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.ids.set(id, { value: '1' });
    return Promise.resolve();
  }
  release(eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.ids.delete(id);
    return Promise.resolve();
  }
  restore(entries: readonly { eventId: string; ttlMs: number }[]): Promise<number> {
    const live = entries.filter((e) => e.ttlMs > 0);
    for (const e of live) if (!this.ids.has(e.eventId)) this.ids.set(e.eventId, { value: '1', ttlMs: e.ttlMs });
    return Promise.resolve(live.length);
  }
  readSentinel(): Promise<DedupeSentinel | undefined> {
    return Promise.resolve(this.sentinel);
  }
  writeSentinel(sentinel: DedupeSentinel): Promise<void> {
    this.sentinel = sentinel;
    return Promise.resolve();
  }
  serverRunId(): Promise<string> {
    return Promise.resolve(this.runId);
  }
  /** What FLUSHALL or a restart without persistence leaves. */
  lose(): void {
    this.ids.clear();
    this.sentinel = undefined;
  }
}

/** The events topic: what was written (id, append time), readable since a time. */
class FakeTopic implements EventsSource {
  records: { eventId: string; timestampMs: number }[] = [];
  reads: number[] = [];
  readSince(sinceMs: number) {
    this.reads.push(sinceMs);
    return Promise.resolve(this.records.filter((r) => r.timestampMs >= sinceMs));
  }
}

const setup = () => {
  const store = new FakeStore();
  const topic = new FakeTopic();
  const connection = new EventEmitter();
  const guard = new DedupeGuard(store, topic, connection, { drainTimeoutMs: 5_000, checkIntervalMs: 60_000 });
  return { store, topic, connection, guard };
};

void test('a fresh Redis: the guard rebuilds (nothing to read), writes the sentinel and claims', async () => {
  const { store, guard } = setup();
  assert.equal(guard.intact, false);
  await assert.rejects(guard.claim(['a'], 't'), UnavailableError, 'no claim before the first check');
  await guard.check();
  assert.equal(guard.intact, true);
  assert.equal(store.sentinel?.redisRunId, 'run-1');
  assert.deepEqual(await guard.claim(['a'], 't'), ['new']);
});

void test('after a loss the ids written within the TTL come back from the topic, with the TTL they have left', async () => {
  const { store, topic, guard } = setup();
  await guard.check();
  const now = Date.now();
  topic.records = [
    { eventId: 'old', timestampMs: now - 120_000 }, // older than the 60 s TTL
    { eventId: 'recent', timestampMs: now - 10_000 },
  ];
  store.lose();
  await assert.rejects(guard.claim(['recent'], 't2'), UnavailableError, 'the claim finds no sentinel: 503, never a new claim');
  await guard.check();
  assert.equal(guard.intact, true);
  assert.ok((topic.reads.at(-1) ?? 0) >= now - 60_000 - 1000, 'read from now − TTL, not from the beginning');
  assert.deepEqual(await guard.claim(['recent', 'fresh'], 't3'), ['duplicate', 'new']);
  const ttl = store.ids.get('recent')?.ttlMs ?? 0;
  assert.ok(ttl > 45_000 && ttl <= 50_000, `TTL left ${ttl}`);
  assert.equal(guard.lastRebuild?.restored, 1);
});

void test('a Redis restarted with its file (sentinel from another run id) is rebuilt too; a dropped connection stops claims until checked', async () => {
  const { store, topic, connection, guard } = setup();
  await guard.check();
  topic.records = [{ eventId: 'x', timestampMs: Date.now() }];
  // Redis restarts from its file, which misses the last second of writes.
  store.runId = 'run-2';
  store.ids.delete('x');
  connection.emit('close');
  await assert.rejects(guard.claim(['y'], 't'), UnavailableError);
  await guard.check();
  assert.equal(store.sentinel?.redisRunId, 'run-2');
  assert.deepEqual(await guard.claim(['x'], 't'), ['duplicate']);
});

void test('a rebuild reads the topic only after the writes claimed before the loss have landed', async () => {
  const { store, topic, guard } = setup();
  await guard.check();
  assert.deepEqual(await guard.claim(['w'], 'writer'), ['new']);
  store.lose();
  const rebuilt = guard.check();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(topic.reads.length, 1, 'only the first (start) read so far: the rebuild waits for the write');
  topic.records.push({ eventId: 'w', timestampMs: Date.now() }); // the pending write lands on Kafka
  await guard.commit(['w']);
  await rebuilt;
  assert.equal(topic.reads.length, 2);
  assert.deepEqual(await guard.claim(['w'], 'retry'), ['duplicate']);
});

void test('a sentinel written for another key layout (another TTL, or per-id keys before ADR 0028) makes the guard rebuild', async () => {
  const { store, topic, guard } = setup();
  await guard.check();
  assert.equal(store.sentinel?.layout, 'generations:30000x2', 'the sentinel names the layout it was rebuilt in');
  topic.records = [{ eventId: 'kept', timestampMs: Date.now() - 1_000 }];
  // The same Redis run, but the ids were written where this store does not look.
  store.sentinel = { ...store.sentinel, layout: undefined };
  store.ids.clear();
  await guard.check();
  assert.match(guard.lastRebuild?.reason ?? '', /layout changed \(one key per id → generations:30000x2\)/);
  assert.equal(store.sentinel?.layout, 'generations:30000x2');
  assert.deepEqual(await guard.claim(['kept'], 't'), ['duplicate']);
});
