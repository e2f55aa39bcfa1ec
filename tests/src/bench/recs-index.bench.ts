/**
 * `clickwise bench recs-index [--sessions N] [--requests N] [--sample-sizes 1000,150] [--json]`:
 * the recommender's live index in Redis (libs/recs RedisRecsStore) loaded with the Diginetica
 * training sessions (../shared/data; synthetic event times, one session a minute): Redis memory of
 * the index (used_memory before and after, in a database of its own, keys deleted after), load rate
 * (events/s through the one Lua script per batch), and, per serving sample size (RankConfig
 * sampleSize; the first is the default config's), one request at a time over test prefixes: a cold
 * pass (every item neighbourhood read from Redis, as before ADR 0100) and a warm one (the store's
 * cache filled): the read's round trip, the scripts' own time inside Redis per request (INFO
 * commandstats, evalsha µs), the ranking time, neighbour sessions and their items returned; the
 * same answers as the in-memory store on the first 200 of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryRecsStore, parseCases, parseSessions, Recommender, RedisRecsStore, sessionEvents } from '@clickwise/recs';
import { createRedis } from '@clickwise/redis';
import { repoRoot } from '@clickwise/testing';
import { describeHardware, hardware, percentile, report, round } from './common.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, sessions: { type: 'string' }, requests: { type: 'string' }, 'sample-sizes': { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('clickwise bench recs-index [--sessions N (default all 186670)] [--requests N (default 2000)] [--sample-sizes N,N (default: the default config\'s, then 1000)] [--json]');
  process.exit(0);
}
const hw = hardware();
const data = join(repoRoot(), '..', 'shared', 'data', 'diginetica');
const sessions = parseSessions(readFileSync(join(data, 'train_sessions.jsonl'), 'utf8')).slice(0, values.sessions ? Number(values.sessions) : undefined);
const cases = parseCases(readFileSync(join(data, 'test.jsonl'), 'utf8')).slice(0, Number(values.requests ?? 2000));
const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
url.pathname = '/11';
const redis = createRedis(url.toString(), { connectionName: 'bench-recs-index', commandTimeoutMs: 60_000 });
const prefix = `bench-recs-${process.pid}:`;
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

const events = sessionEvents(sessions);
const memory = new Recommender(new MemoryRecsStore());
const live = new Recommender(new RedisRecsStore(redis, prefix));
const before = await usedMemory();
const loadStarted = performance.now();
for (let i = 0; i < events.length; i += 2000) await live.ingest(events.slice(i, i + 2000));
const loadSeconds = (performance.now() - loadStarted) / 1000;
const after = await usedMemory();
for (let i = 0; i < events.length; i += 20_000) await memory.ingest(events.slice(i, i + 20_000));
const stats = await live.store.stats();

/** The read script's calls and µs inside Redis so far (ioredis defineCommand runs EVALSHA). */
const scriptStats = async () => {
  const line = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return { calls: Number(line?.[1] ?? 0), usec: Number(line?.[2] ?? 0) };
};
const defaultRank = live.rankConfig;
const sampleSizes = (values['sample-sizes'] ?? `${defaultRank.sampleSize},1000`).split(',').filter(Boolean).map(Number);
const perSample: Record<string, number | string>[] = [];
for (const sampleSize of sampleSizes) {
  live.setRankConfig({ ...defaultRank, sampleSize });
  memory.setRankConfig({ ...defaultRank, sampleSize });
  const reads: number[] = [];
  const ranks: number[] = [];
  const totals: number[] = [];
  let neighbours = 0;
  let neighbourItems = 0;
  let same = 0;
  // A first pass fills the store's item-neighbourhood cache (ADR 0100): every neighbourhood read
  // from Redis, as the one read script before ADR 0100 did per request. The other figures are of
  // the second, warm pass.
  const cold: number[] = [];
  const coldScripts0 = await scriptStats();
  for (const c of cases) {
    const t0 = performance.now();
    await live.store.read(live.queryOf({ recentItems: c.prefix, k: 20 }));
    cold.push(performance.now() - t0);
  }
  const coldScripts1 = await scriptStats();
  const scripts0 = await scriptStats();
  for (let i = 0; i < cases.length; i++) {
    const request = { recentItems: cases[i]!.prefix, k: 20 };
    const t0 = performance.now();
    const slice = await live.store.read(live.queryOf(request));
    const t1 = performance.now();
    const answer = live.rankSlice(slice, request);
    const t2 = performance.now();
    reads.push(t1 - t0);
    ranks.push(t2 - t1);
    totals.push(t2 - t0);
    neighbours += slice.neighbours.length;
    for (const n of slice.neighbours) neighbourItems += n.items.length;
    if (i < 200 && JSON.stringify(answer) === JSON.stringify(await memory.recommend(request))) same++;
  }
  const scripts1 = await scriptStats();
  perSample.push({
    sampleSize,
    requests: cases.length,
    requestP50Ms: round(percentile(totals, 50), 3),
    requestP99Ms: round(percentile(totals, 99), 3),
    readP50Ms: round(percentile(reads, 50), 3),
    readP99Ms: round(percentile(reads, 99), 3),
    scriptUsPerRequest: round((scripts1.usec - scripts0.usec) / cases.length, 1),
    coldReadP50Ms: round(percentile(cold, 50), 3),
    coldReadP99Ms: round(percentile(cold, 99), 3),
    coldScriptUsPerRequest: round((coldScripts1.usec - coldScripts0.usec) / cases.length, 1),
    rankP50Ms: round(percentile(ranks, 50), 3),
    rankP99Ms: round(percentile(ranks, 99), 3),
    neighboursPerRequest: round(neighbours / cases.length, 1),
    neighbourItemsPerRequest: round(neighbourItems / cases.length, 1),
    sameAsMemoryStore: `${same}/${Math.min(200, cases.length)}`,
  });
}

// Clean up the bench's keys.
let cursor = '0';
do {
  const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
  cursor = next;
  if (found.length > 0) await redis.del(...found);
} while (cursor !== '0');
await redis.quit();

const mib = (after - before) / 2 ** 20;
const result = {
  sessions: sessions.length,
  events: events.length,
  items: stats.items,
  covisRows: stats.covisRows,
  redisMemoryMiB: round(mib, 1),
  bytesPerEvent: round((after - before) / events.length, 1),
  loadEventsPerSecond: Math.round(events.length / loadSeconds),
  requests: perSample,
  hardware: describeHardware(hw),
};
report(
  `recs index in Redis: ${sessions.length} Diginetica sessions (${events.length} events) — ${describeHardware(hw)}`,
  [
    { measure: 'index', 'Redis MiB': result.redisMemoryMiB, 'B/event': result.bytesPerEvent, 'load ev/s': result.loadEventsPerSecond, 'cold read p50/p99 ms': '', 'cold script µs/req': '', 'request p50/p99 ms': '', 'script µs/req': '', 'rank p50/p99 ms': '', 'neighbours (items)': '', 'same as memory': '' },
    ...perSample.map((r) => ({
      measure: `sampleSize ${r.sampleSize}`,
      'Redis MiB': '',
      'B/event': '',
      'load ev/s': '',
      'cold read p50/p99 ms': `${r.coldReadP50Ms}/${r.coldReadP99Ms}`,
      'cold script µs/req': r.coldScriptUsPerRequest!,
      'request p50/p99 ms': `${r.requestP50Ms}/${r.requestP99Ms}`,
      'script µs/req': r.scriptUsPerRequest!,
      'rank p50/p99 ms': `${r.rankP50Ms}/${r.rankP99Ms}`,
      'neighbours (items)': `${r.neighboursPerRequest} (${r.neighbourItemsPerRequest})`,
      'same as memory': r.sameAsMemoryStore!,
    })),
  ],
  result,
  values.json === true,
);
