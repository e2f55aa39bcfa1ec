/**
 * `clickwise bench recs-index [--sessions N] [--requests N] [--json]`: the recommender's live index
 * in Redis (libs/recs RedisRecsStore) loaded with the Diginetica training sessions (../shared/data;
 * synthetic event times, one session a minute): Redis memory of the index (used_memory before and
 * after, in a database of its own, keys deleted after), load rate (events/s through the one Lua
 * script per batch), and one-request read + rank latency, p50/p99, one at a time, over test prefixes;
 * the same answers as the in-memory store on the first 200 of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryRecsStore, parseCases, parseSessions, Recommender, RedisRecsStore, sessionEvents } from '@clickwise/recs';
import { createRedis } from '@clickwise/redis';
import { repoRoot } from '@clickwise/testing';
import { describeHardware, hardware, percentile, report, round } from './common.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, sessions: { type: 'string' }, requests: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('clickwise bench recs-index [--sessions N (default all 186670)] [--requests N (default 2000)] [--json]');
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

const latencies: number[] = [];
let same = 0;
for (let i = 0; i < cases.length; i++) {
  const request = { recentItems: cases[i]!.prefix, k: 20 };
  const t0 = performance.now();
  const answer = await live.recommend(request);
  latencies.push(performance.now() - t0);
  if (i < 200 && JSON.stringify(answer) === JSON.stringify(await memory.recommend(request))) same++;
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
  requestP50Ms: round(percentile(latencies, 50), 3),
  requestP99Ms: round(percentile(latencies, 99), 3),
  sameAsMemoryStore: `${same}/${Math.min(200, cases.length)}`,
  hardware: describeHardware(hw),
};
report(
  `recs index in Redis: ${sessions.length} Diginetica sessions (${events.length} events) — ${describeHardware(hw)}`,
  [{ 'Redis MiB': result.redisMemoryMiB, 'B/event': result.bytesPerEvent, 'load ev/s': result.loadEventsPerSecond, 'request p50 ms': result.requestP50Ms, 'request p99 ms': result.requestP99Ms, 'same as memory': result.sameAsMemoryStore }],
  result,
  values.json === true,
);
