import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '@clickwise/random';
import { newestSessions } from './newest-sessions.js';
import type { NeighbourSession } from './store.js';

/** The definition: the union (a session's newest entry, the first list's on ties), sorted, cut. */
function reference(lists: readonly (readonly NeighbourSession[])[], skip: string, limit: number): NeighbourSession[] {
  const union = new Map<string, NeighbourSession>();
  for (const list of lists) {
    for (const n of list) {
      if (n.sessionId === skip) continue;
      const have = union.get(n.sessionId);
      if (have === undefined || n.timeMs > have.timeMs) union.set(n.sessionId, n);
    }
  }
  return [...union.values()].sort((a, b) => b.timeMs - a.timeMs || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0)).slice(0, limit);
}

void test('newestSessions is the first `limit` of the sorted union, on 2,000 random posting lists with ties and repeats', () => {
  const random = mulberry32(7);
  for (let n = 0; n < 2000; n++) {
    const sessions = 1 + Math.floor(random() * 30);
    const lists = Array.from({ length: Math.floor(random() * 6) }, (_, l) => {
      // One entry per session per list (as a posting list), times from a few values (ties), newest first;
      // equal times in either id order, as ZREVRANGE gives them (descending) or not.
      const ids = [...new Set(Array.from({ length: Math.floor(random() * 12) }, () => `s${Math.floor(random() * sessions)}`))];
      const list = ids.map((sessionId) => ({ entry: { sessionId, timeMs: Math.floor(random() * 5) * 1000, items: [`from-list-${l}`] }, order: random() }));
      return list.sort((a, b) => b.entry.timeMs - a.entry.timeMs || a.order - b.order).map(({ entry }) => entry);
    });
    const skip = `s${Math.floor(random() * sessions)}`;
    const limit = Math.floor(random() * 15);
    assert.deepEqual(newestSessions(lists, skip, limit), reference(lists, skip, limit), `case ${n}: ${JSON.stringify({ lists, skip, limit })}`);
  }
});

void test('a session in several lists counts once, with its newest entry', () => {
  const a = { sessionId: 'a', timeMs: 5, items: ['x'] };
  const aOld = { sessionId: 'a', timeMs: 1, items: ['y'] };
  const b = { sessionId: 'b', timeMs: 3, items: ['z'] };
  assert.deepEqual(newestSessions([[b, aOld], [a]], '', 10), [a, b]);
  assert.deepEqual(newestSessions([[b, aOld], [a]], 'a', 10), [b]);
  assert.deepEqual(newestSessions([[b, aOld], [a]], '', 1), [a]);
});
