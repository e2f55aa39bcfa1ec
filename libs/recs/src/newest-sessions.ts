import type { NeighbourSession } from './store.js';

function byId(a: NeighbourSession, b: NeighbourSession): number {
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}

/**
 * The `limit` newest distinct sessions of some posting lists, `skip` left out: the first `limit`
 * of their union sorted by time (descending) then session id (ascending), where a session seen in
 * several lists counts with its newest entry (the first list's on ties). Each list must be sorted
 * newest first (ZREVRANGE; its order among equal times does not matter). A k-way merge that stops
 * at `limit`, in place of building the whole union and sorting it.
 */
export function newestSessions(lists: readonly (readonly NeighbourSession[])[], skip: string, limit: number): NeighbourSession[] {
  const out: NeighbourSession[] = [];
  const at = new Array<number>(lists.length).fill(0);
  const seen = new Set<string>();
  const group: NeighbourSession[] = [];
  while (out.length < limit) {
    // The newest time at the head of any list.
    let newest = Number.NEGATIVE_INFINITY;
    let any = false;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l]!;
      if (at[l]! < list.length && (!any || list[at[l]!]!.timeMs > newest)) {
        newest = list[at[l]!]!.timeMs;
        any = true;
      }
    }
    if (!any) break;
    // Every entry at that time, lists in order (so the first list's entry of a session wins), each session once, by id.
    group.length = 0;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l]!;
      let i = at[l]!;
      while (i < list.length && list[i]!.timeMs === newest) {
        const n = list[i++]!;
        if (n.sessionId !== skip && !seen.has(n.sessionId)) {
          seen.add(n.sessionId);
          group.push(n);
        }
      }
      at[l] = i;
    }
    if (group.length > 1) group.sort(byId);
    for (let g = 0; g < group.length && out.length < limit; g++) out.push(group[g]!);
  }
  return out;
}
