import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OverloadedError } from '@clickwise/errors';
import { ReadGate } from './read-gate.js';

/** A read that finishes when told to. */
function pending(): { read: () => Promise<string>; finish: (v: string) => void; started: () => boolean } {
  let resolve: (v: string) => void = () => {};
  let started = false;
  const promise = new Promise<string>((r) => (resolve = r));
  return {
    read: () => {
      started = true;
      return promise;
    },
    finish: (v) => resolve(v),
    started: () => started,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

void describe('ReadGate (back-pressure in front of the live index)', () => {
  void it('runs at most `concurrency` reads, the rest in order as slots free', async () => {
    const gate = new ReadGate({ concurrency: 2, maxQueued: 10, maxWaitMs: 10_000 });
    const reads = [pending(), pending(), pending(), pending()];
    const answers = reads.map((r) => gate.run(r.read));
    await tick();
    assert.deepEqual(reads.map((r) => r.started()), [true, true, false, false]);
    assert.deepEqual({ inflight: gate.inflight, queued: gate.queued }, { inflight: 2, queued: 2 });
    reads[1]!.finish('b');
    await tick();
    assert.deepEqual(reads.map((r) => r.started()), [true, true, true, false]);
    reads[0]!.finish('a');
    reads[2]!.finish('c');
    await tick();
    reads[3]!.finish('d');
    assert.deepEqual(await Promise.all(answers), ['a', 'b', 'c', 'd']);
    assert.deepEqual({ inflight: gate.inflight, queued: gate.queued, refused: gate.refused }, { inflight: 0, queued: 0, refused: 0 });
  });

  void it('refuses at once when the queue is full, with a retry-after', async () => {
    const gate = new ReadGate({ concurrency: 1, maxQueued: 1, maxWaitMs: 10_000 });
    const a = pending();
    const b = pending();
    const first = gate.run(a.read);
    const second = gate.run(b.read);
    await assert.rejects(gate.run(pending().read), (error: unknown) => error instanceof OverloadedError && error.retryAfterMs >= 10);
    a.finish('a');
    await tick();
    b.finish('b');
    assert.deepEqual(await Promise.all([first, second]), ['a', 'b']);
    assert.equal(gate.refused, 1);
  });

  void it('refuses a read that waited past maxWaitMs instead of sending it, and passes the slot on', async () => {
    let now = 0;
    const gate = new ReadGate({ concurrency: 1, maxQueued: 10, maxWaitMs: 100 }, () => now);
    const a = pending();
    const late = pending();
    const first = gate.run(a.read);
    const waiting = gate.run(late.read);
    now = 50;
    const c = pending();
    const third = gate.run(c.read);
    now = 120;
    a.finish('a');
    await assert.rejects(waiting, OverloadedError);
    assert.equal(late.started(), false);
    await tick();
    assert.equal(c.started(), true, 'the one that waited 70 ms runs');
    c.finish('c');
    assert.deepEqual(await Promise.all([first, third]), ['a', 'c']);
    assert.equal(gate.inflight, 0);
  });

  void it('a failed read frees its slot', async () => {
    const gate = new ReadGate({ concurrency: 1, maxQueued: 10, maxWaitMs: 10_000 });
    await assert.rejects(gate.run(() => Promise.reject(new Error('redis down'))), /redis down/);
    assert.equal(await gate.run(() => Promise.resolve('ok')), 'ok');
    assert.equal(gate.inflight, 0);
  });
});
