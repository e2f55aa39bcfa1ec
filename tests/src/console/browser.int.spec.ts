import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '@clickwise/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ConsolePlatform, waitFor } from './harness.js';

const run = promisify(execFile);

/** Flags that worked for Debian's chromium, headless as root, on a closed network (TOOLCHAIN-NOTES; as tests/src/tracker). */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where the screenshot is kept (.clickwise/ is git-ignored; CI keeps the folder as the run's artifacts). */
export const ARTIFACTS = join(repoRoot(), '.clickwise', 'test-artifacts');

/** What a chart shows now: its points, each line's `points`, and the legend's values. */
async function chartOf(tab: Page, id: string): Promise<{ points: number; lines: string[]; legend: string }> {
  const svg = tab.locator(`svg[data-chart="${id}"]`);
  if ((await svg.count()) === 0) return { points: 0, lines: [], legend: '' };
  const polylines = svg.locator('polyline');
  const lines: string[] = [];
  for (let i = 0; i < (await polylines.count()); i++) lines.push((await polylines.nth(i).getAttribute('points')) ?? '');
  return { points: Number((await svg.getAttribute('data-points')) ?? 0), lines, legend: (await tab.locator(`#${id} .legend`).textContent()) ?? '' };
}

/** The value the legend shows after a series' name ("clickstream.events.v1 123" → 123; "–" → NaN). */
function legendValue(legend: string, series: string): number {
  const m = new RegExp(`${series.replaceAll('.', '\\.')} ([0-9.]+)(k|M)?`).exec(legend);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1);
}

/**
 * The status page in a real browser (Debian's chromium, headless, driven by playwright-core): it
 * opens with an ops key (kept as an HttpOnly cookie, out of the address bar), its charts change
 * while events are replayed through ingestion, and a screenshot of it during the replay is kept.
 */
void describe('console in chromium: the status page loads with the key and its charts move during a replay', () => {
  const platform = new ConsolePlatform('console-browser');
  let browser: Browser | undefined;

  before(async () => {
    const [{ stdout }] = await Promise.all([run(join(repoRoot(), 'deploy/local/browser-tools.sh'), [], { timeout: 600_000 }), platform.start({}, { recommender: true })]);
    browser = await chromium.launch({ executablePath: stdout.trim(), headless: true, args: CHROMIUM_FLAGS });
  });
  after(async () => {
    await browser?.close();
    await platform.stop();
  });

  void test('opened with ?key=, the charts change while events are replayed; a screenshot is kept', async () => {
    const context = await (browser as Browser).newContext({ viewport: { width: 1440, height: 1000 } });
    const tab = await context.newPage();
    // No key: the page says how to open it.
    const denied = await tab.goto(platform.console.url);
    assert.equal(denied?.status(), 401);
    assert.match((await tab.textContent('body')) ?? '', /ops key/);
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });

    await tab.goto(`${platform.console.url}/?key=${encodeURIComponent(platform.keys.ops)}`);
    assert.equal(new URL(tab.url()).search, '', 'the key left the address bar');
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === 'cw_console_key' && c.httpOnly && c.sameSite === 'Strict'), 'kept as an HttpOnly cookie');
    assert.equal(await tab.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), '', 'invisible to the page\'s script');
    await tab.waitForSelector('svg[data-chart="events"]', { timeout: 20_000 });
    await waitFor(async () => (await tab.textContent('#models'))?.includes(platform.championVersion) ?? false, { timeoutMs: 20_000, message: 'the registry champion in the model table' });
    assert.match((await tab.textContent('#recs')) ?? '', /no recommendation served since the console started/);
    const before = await chartOf(tab, 'events');

    // The replay: 3,000 events over ~10 s, a few gRPC Predict and Recommend calls and some invalid events.
    const events = platform.events(7, 3000);
    const shoppers = [...new Set(events.map((e) => e.userId ?? e.anonymousId ?? ''))].slice(0, 40);
    let done = false;
    let half = false;
    let recommended = 0;
    const replay = (async () => {
      await platform.replay(events.slice(0, 1500), { batch: 50, pauseMs: 100 });
      await platform.predict(shoppers);
      recommended += await platform.recommend(shoppers);
      half = true;
      await platform.replay(events.slice(1500).map((e, i) => (i % 100 === 0 ? { ...e, quantity: -3 } : e)), { batch: 50, pauseMs: 100 });
      await platform.predict(shoppers);
      recommended += await platform.recommend(shoppers);
      done = true;
    })();
    let peak = 0;
    let recsPeak = 0;
    let shot = false;
    await waitFor(
      async () => {
        const now = await chartOf(tab, 'events');
        peak = Math.max(peak, legendValue(now.legend, 'clickstream.events.v1') || 0);
        recsPeak = Math.max(recsPeak, legendValue(now.legend, 'recommendations.served.v1') || 0);
        // Mid-replay, with predictions and recommendations flowing: the README's picture.
        if (!shot && half && peak > 0 && (await tab.locator('#feed table tr').count()) > 5 && (await tab.locator('#recs table tr').count()) > 5 && (await chartOf(tab, 'lat-prediction')).lines.length > 0) {
          mkdirSync(ARTIFACTS, { recursive: true });
          await tab.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
          shot = true;
        }
        return shot && done;
      },
      { timeoutMs: 180_000, intervalMs: 500, message: 'the events chart to rise and a screenshot mid-replay' },
    );
    await replay;
    const after = await chartOf(tab, 'events');
    assert.ok(after.points > before.points, `the chart gained points (${before.points} → ${after.points})`);
    assert.notDeepEqual(after.lines, before.lines, 'its lines changed');
    assert.ok(peak > 20, `the events/s legend rose (peak ${peak})`);
    for (const chart of ['lag', 'lat-ingest', 'lat-features', 'lat-prediction', 'lat-click', 'lat-grpc', 'lat-recommender-grpc']) {
      assert.ok((await chartOf(tab, chart)).lines.length > 0, `${chart} draws lines`);
    }
    assert.ok(((await tab.textContent('#dlq')) ?? '').includes('ingestion'), 'dead letters by reason');
    assert.ok((await tab.locator('#feed table tr').count()) > 5, 'live predictions');
    // Live recommendations: each list the recommender served, as it published it to recommendations.served.v1.
    assert.equal(recommended, 2 * shoppers.length, 'every Recommend call answered');
    await waitFor(async () => ((await tab.textContent('#recs-total')) ?? '') === `${recommended} served since the console started`, { timeoutMs: 20_000, message: 'every served list in the feed' });
    const recsText = (await tab.textContent('#recs')) ?? '';
    assert.ok((await tab.locator('#recs table tr').count()) > 5 && /r1\./.test(recsText), 'live recommendations with their ids');
    assert.ok(recsPeak > 0, `the served recommendations/s rose (peak ${recsPeak})`);
    const versions = await chartOf(tab, 'versions');
    assert.ok(versions.lines.length >= 2, 'the model-version chart draws lines');
    assert.match(versions.legend, new RegExp(`predictions propensity/${platform.championVersion}`), 'predictions per second of the champion');
    assert.match(versions.legend, /recommendations /, 'served lists per second of the recommender\'s version');
    assert.deepEqual(errors, [], 'no script errors (and nothing blocked by the CSP)');
    await context.close();
    console.log(`status page: events chart ${before.points} → ${after.points} points, events/s peak ${peak}, served recommendations/s peak ${recsPeak} (${recommended} lists); screenshot ${join(ARTIFACTS, 'status-page.png')}`);
  });
});
