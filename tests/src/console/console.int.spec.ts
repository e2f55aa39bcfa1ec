import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConsolePlatform, readSse, waitFor, type BoardState, type Tick } from './harness.js';

/** The ticks a stream delivered so far: the snapshot's history, then each tick. */
function ticksOf(events: { event: string; data: unknown }[]): { ticks: Tick[]; state: BoardState | undefined } {
  const ticks: Tick[] = [];
  let state: BoardState | undefined;
  for (const e of events) {
    const data = e.data as { ticks?: Tick[]; tick?: Tick; state: BoardState };
    if (e.event === 'snapshot') ticks.splice(0, ticks.length, ...(data.ticks ?? []));
    if (e.event === 'tick' && data.tick) ticks.push(data.tick);
    state = data.state;
  }
  return { ticks, state };
}

/** Runs `wait`; when it times out, the error also says what the ticks showed. */
async function explained<T>(wait: () => Promise<T>, seen: () => string): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; seen: ${seen()}`, { cause: error });
  }
}

/**
 * The console (services/console) against the real platform: ingestion, features and prediction as
 * processes on real Kafka and Redis. Its server-sent events show events/s and consumer lag moving
 * while events are replayed through ingestion (features stopped for a while, so its group falls
 * behind by exactly what was accepted, then catches up), the dead letters by reason, the registry's
 * model with its hold-out metric and the live prediction feed; every route wants an ops key.
 */
void describe('console: the status page over the real platform', () => {
  const platform = new ConsolePlatform('console');

  before(async () => {
    await platform.start();
  });
  after(async () => {
    await platform.stop();
  });

  void test('401 without a key or with an unknown one, 403 with a key of another scope, 200 with an ops key; the page keeps the key in an HttpOnly cookie', async () => {
    const url = platform.console.url;
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers, redirect: 'manual' });
    for (const path of ['/api/status', '/api/stream', '/']) {
      assert.equal((await get(path)).status, 401, `${path} without a key`);
      assert.equal((await get(path, { 'x-api-key': 'cw_not-a-key' })).status, 401, `${path} with an unknown key`);
      for (const key of [platform.keys.ingest, platform.keys.read]) assert.equal((await get(path, { 'x-api-key': key })).status, 403, `${path} with a non-ops key`);
    }
    const denied = await get('/');
    assert.match(denied.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.match(await denied.text(), /\?key=/, 'the 401 page says how to open it');
    assert.equal((await get(`/?key=${encodeURIComponent(platform.keys.read)}`)).status, 403);

    const opened = await get(`/?key=${encodeURIComponent(platform.keys.ops)}`);
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.get('location'), '/', 'the key leaves the address bar');
    const cookie = opened.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^cw_console_key=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const jar = { cookie: cookie.split(';')[0]! };
    const page = await get('/', jar);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'nonce-/);
    const html = await page.text();
    assert.match(html, /<title>Clickwise status<\/title>/);
    assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)/, 'nothing loads from another host');
    assert.equal((await get('/api/status', jar)).status, 200, 'the cookie opens the JSON too');
    assert.equal((await get('/api/status', { authorization: `Bearer ${platform.keys.ops}` })).status, 200);
  });

  void test('while events are replayed the stream shows events/s, lag rising by what was accepted and falling to 0, dead letters, the model and live predictions', async () => {
    const sse = readSse(`${platform.console.url}/api/stream`, { 'x-api-key': platform.keys.ops });
    try {
      assert.equal(await sse.status, 200);
      await waitFor(() => sse.events.some((e) => e.event === 'snapshot'), { timeoutMs: 10_000, message: 'the snapshot' });
      const first = ticksOf(sse.events).state!;
      const model = first.models.find((m) => m.model === 'propensity');
      assert.equal(model?.champion, platform.championVersion, 'the registry champion');
      assert.equal(model?.versions[0]?.metrics.roc_auc, 0.7, 'its hold-out metric');
      assert.deepEqual(first.recommendations, { available: true, total: 0, rows: [] }, 'recommendations.served.v1 is followed; no recommender here, so nothing served: an empty panel, nothing invented');

      // Warm-up: features commits its group, so its lag is a number (0), not "never committed".
      const warm = await platform.replay(platform.events(1, 200));
      await platform.scope.waitCaughtUp(120_000, platform.features);
      const lagOf = (t: Tick) => t.lag[platform.groups.features];
      await waitFor(() => ticksOf(sse.events).ticks.some((t) => lagOf(t) === 0), { timeoutMs: 30_000, message: 'a tick with the features group at lag 0' });

      // Features stops; the replay goes on: the group falls behind by exactly what ingestion accepted.
      await platform.stopFeatures();
      const startedAt = Date.now();
      const accepted = await platform.replay(platform.events(2, 2000), { batch: 100, pauseMs: 150 });
      const invalid = platform.events(3, 5).map((e) => ({ ...e, price: -1 }));
      await platform.replay(invalid);
      assert.equal(accepted, 2000);
      const since = () => ticksOf(sse.events).ticks.filter((t) => t.atMs >= startedAt).map((t) => lagOf(t)).join(' ');
      await explained(() => waitFor(() => ticksOf(sse.events).ticks.some((t) => lagOf(t) === accepted), { timeoutMs: 60_000, message: `a tick with the features group ${accepted} behind` }), since);
      const during = ticksOf(sse.events).ticks.filter((t) => t.atMs >= startedAt);
      const rates = during.map((t) => t.rates.events ?? 0);
      const lags = during.map((t) => lagOf(t) ?? -1);
      assert.ok(Math.max(...rates) > 50, `events/s while replaying: ${rates.map((r) => r.toFixed(0)).join(' ')}`);
      assert.ok(lags.some((l) => l > 0 && l < accepted), `lag rose step by step: ${lags.join(' ')}`);

      // Features comes back: its lag falls to 0, predictions follow.
      await platform.startFeatures();
      const restartedAt = Date.now();
      const recent = () => ticksOf(sse.events).ticks.filter((t) => t.atMs >= restartedAt);
      const seen = () => `lag ${recent().map((t) => lagOf(t)).join(' ')}; features/s ${recent().map((t) => (t.rates.features ?? 0).toFixed(0)).join(' ')}`;
      await explained(() => waitFor(() => recent().some((t) => (t.rates.features ?? 0) > 0) && recent().length > 0 && lagOf(recent().at(-1)!) === 0, { timeoutMs: 180_000, message: 'features writing notices again and its group back at lag 0' }), seen);
      // A latency is a percentile of what was observed in the window (20 s here): taken from the ticks that had some.
      const observed = (id: string) => ticksOf(sse.events).ticks.filter((t) => t.atMs >= startedAt && (t.latency[id]?.count ?? 0) > 0).at(-1)?.latency[id];
      await waitFor(() => (ticksOf(sse.events).state?.predictions.total ?? 0) > 0 && observed('features') && observed('prediction'), { timeoutMs: 60_000, message: 'live predictions and their latencies' });
      const { ticks, state } = ticksOf(sse.events);
      const ingest = observed('ingest')!;
      const features = observed('features')!;
      const prediction = observed('prediction')!;
      assert.ok(ingest.p50! > 0 && ingest.p99! >= ingest.p50!, `ingest accept p50 ${ingest.p50} p99 ${ingest.p99}`);
      assert.ok(features.p50! > 0 && features.p99! >= features.p50!, 'features ingest → notice');
      assert.ok(prediction.p50! > 0 && prediction.p99! >= prediction.p50!, 'prediction notice → prediction');
      // The replay's latency left the window by now: the figure is "none observed", not a stale one.
      await waitFor(() => (ticksOf(sse.events).ticks.at(-1)!.latency.ingest?.count ?? 1) === 0 && ticksOf(sse.events).ticks.at(-1)!.latency.ingest?.p50 === null, { timeoutMs: 40_000, message: 'the ingest latency window to empty' });

      const fromIngestion = state!.deadLetters.reasons.filter((r) => r.stage === 'ingestion');
      assert.equal(fromIngestion.reduce((n, r) => n + r.count, 0), invalid.length, `dead letters by reason: ${JSON.stringify(fromIngestion)}`);
      assert.ok(fromIngestion.every((r) => r.reasonCode !== '' && r.lastReason !== ''), 'each with its code and newest reason');
      assert.equal(state!.topicRecords.events, warm + accepted);

      assert.ok(state!.predictions.newest.every((p) => p.modelVersion === `propensity/${platform.championVersion}` && p.probability > 0 && p.probability < 1));
      const live = state!.models.find((m) => m.model === 'propensity')!.versions.find((v) => v.champion)!.live;
      assert.ok(live && live.seen === state!.predictions.total, 'the champion row counts the predictions the console saw');
      assert.ok(state!.targets.every((t) => t.lastUpMs > 0), `every target answered: ${JSON.stringify(state!.targets)}`);

      const json = await platform.status();
      assert.ok(json.ticks.length >= ticks.length - 5 && json.state.deadLetters.total === state!.deadLetters.total, 'GET /api/status has the same figures');
      console.log(
        `console: ${ticks.length} ticks; events/s peak ${Math.max(...rates).toFixed(0)}; features lag peak ${Math.max(...lags)}; ingest p50 ${(ingest.p50! * 1000).toFixed(1)} ms p99 ${(ingest.p99! * 1000).toFixed(1)} ms; ` +
          `ingest→notice p50 ${(features.p50! * 1000).toFixed(1)} ms; notice→prediction p50 ${(prediction.p50! * 1000).toFixed(1)} ms; ${state!.predictions.total} predictions seen`,
      );
    } finally {
      sse.close();
    }
  });
});
