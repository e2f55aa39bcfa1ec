import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema, EventSource, EventType } from '@clickwise/contracts';
import { repoRoot, testInfra, waitFor } from '@clickwise/testing';
import { chromium, type Browser } from 'playwright-core';
import { ensureKcat, kcatRead, TestScope, type IngestionProcess } from '../ingestion/harness.js';

const run = promisify(execFile);

/**
 * Flags that worked for Debian's chromium, headless as root, on a closed network (TOOLCHAIN-NOTES);
 * Playwright adds --headless and a fresh empty profile (--user-data-dir) itself.
 */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The storefront page: loads the tracker's ES modules as built (libs/tracker/dist) and tracks. */
function page(endpoint: string, key: string): string {
  return `<!doctype html><html><head><title>shop</title></head><body><h1>Shop</h1>
<script type="module">
  import { createTracker } from '/tracker/index.js';
  // A long interval: nothing goes out by fetch, so only the unload beacon can deliver.
  const tracker = createTracker({ endpoint: ${JSON.stringify(endpoint)}, key: ${JSON.stringify(key)}, flushIntervalMs: 600000, batchSize: 1000, sessionId: 's-browser', anonymousId: 'a-browser' });
  const ids = [];
  ids.push(tracker.track({ type: 'page_view' }));
  for (let i = 0; i < 24; i++) ids.push(tracker.track({ type: 'product_view', itemId: 'b-' + i, price: 9.5 + i, currency: 'EUR' }));
  ids.push(tracker.track({ type: 'add_to_cart', itemId: 'b-3', quantity: 1 }));
  window.tracked = { ids, stats: tracker.stats() };
</script></body></html>`;
}

/**
 * A storefront page using the tracker's fetch path: JSON body and the key in `x-api-key`, so the
 * browser makes a CORS preflight before each cross-origin POST.
 */
function fetchPage(endpoint: string, key: string): string {
  return `<!doctype html><html><head><title>shop</title></head><body><h1>Shop</h1>
<script type="module">
  import { createTracker } from '/tracker/index.js';
  const errors = [];
  const tracker = createTracker({ endpoint: ${JSON.stringify(endpoint)}, key: ${JSON.stringify(key)}, flushIntervalMs: 20, batchSize: 5, sendBeacon: false, sessionId: 's-fetch', anonymousId: 'a-fetch', retry: { maxAttempts: 2 }, onError: (e) => errors.push(e.kind + ': ' + e.reason) });
  const ids = [];
  for (let i = 0; i < 12; i++) ids.push(tracker.track({ type: 'product_view', itemId: 'f-' + i, price: 3 + i, currency: 'EUR' }));
  tracker.flush().then(() => { window.tracked = { ids, stats: tracker.stats(), errors }; });
</script></body></html>`;
}

/** A static server (another origin than ingestion): the page and the tracker's built modules. */
async function serveStorefront(html: string): Promise<{ url: string; server: Server }> {
  const dist = join(repoRoot(), 'libs/tracker/dist');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    if (path.startsWith('/tracker/') && path.endsWith('.js')) {
      const file = normalize(join(dist, path.slice('/tracker/'.length)));
      if (!file.startsWith(dist)) return void res.writeHead(403).end();
      readFile(file).then(
        (body) => res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(body),
        () => res.writeHead(404).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}/`, server };
}

/**
 * In a real browser (Debian's chromium, headless, driven by playwright-core), events tracked on a
 * page and never sent by fetch reach Kafka through navigator.sendBeacon when the page is left.
 */
void describe('tracker in chromium: sendBeacon on page unload, fetch across origins (CORS)', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('beacon', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let key: string;
  let browser: Browser | undefined;

  before(async () => {
    const [{ stdout }] = await Promise.all([
      run(join(repoRoot(), 'deploy/local/browser-tools.sh'), [], { timeout: 600_000 }),
      ensureKcat(),
      scope.createTopics(),
    ]);
    key = (await scope.key('storefront-web', ['ingest'])).key;
    service = await scope.start();
    browser = await chromium.launch({ executablePath: stdout.trim(), headless: true, args: CHROMIUM_FLAGS });
  });

  after(async () => {
    await browser?.close();
    await service?.stop();
    await scope.dispose();
  });

  void test('leaving the page beacons the queued events; each is on Kafka once', async () => {
    const shop = await serveStorefront(page(service.httpUrl, key));
    try {
      const context = await (browser as Browser).newContext();
      const tab = await context.newPage();
      await tab.goto(shop.url);
      const tracked = await tab.waitForFunction(() => (globalThis as unknown as { tracked?: unknown }).tracked).then((h) => h.jsonValue() as Promise<{ ids: string[]; stats: { requests: number; queued: number } }>);
      assert.equal(tracked.ids.length, 26);
      assert.equal(tracked.stats.requests, 0, 'nothing was sent by fetch');
      assert.equal(tracked.stats.queued, 26);
      for (const id of tracked.ids) assert.match(id, /^[0-9a-f-]{36}$/, 'crypto.randomUUID ids');

      // Leaving the page fires pagehide; the tracker hands its queue to sendBeacon.
      await tab.goto('about:blank');
      const records = await waitFor(
        async () => {
          const read = await kcatRead(kafkaBrokers, scope.eventsTopic);
          return read.length >= tracked.ids.length ? read : undefined;
        },
        { timeoutMs: 20_000, message: 'beaconed events on Kafka' },
      );
      await context.close();
      assert.equal(records.length, tracked.ids.length);
      const events = records.map((r) => fromBinary(EventSchema, r.value));
      assert.deepEqual(events.map((e) => e.eventId).sort(), [...tracked.ids].sort());
      for (const e of events) {
        assert.equal(e.source, EventSource.TRACKER);
        assert.equal(e.sessionId, 's-browser');
        assert.match(e.context?.userAgent ?? '', /Chrome/, 'the page context was filled in');
        assert.equal(e.context?.page, '/');
      }
      assert.equal(events.filter((e) => e.type === EventType.PRODUCT_VIEW).length, 24);
    } finally {
      shop.server.closeAllConnections();
      await new Promise<void>((resolve) => shop.server.close(() => resolve()));
    }
  });

  void test('a page from another origin sends by fetch with x-api-key (preflighted); the events reach Kafka', async () => {
    const before = (await kcatRead(kafkaBrokers, scope.eventsTopic)).length;
    const shop = await serveStorefront(fetchPage(service.httpUrl, key));
    try {
      assert.notEqual(new URL(shop.url).origin, new URL(service.httpUrl).origin, 'the page is cross-origin');
      const context = await (browser as Browser).newContext();
      const tab = await context.newPage();
      const methods: string[] = [];
      tab.on('requestfinished', (r) => {
        if (r.url().startsWith(service.httpUrl)) methods.push(r.method());
      });
      await tab.goto(shop.url);
      const tracked = await tab
        .waitForFunction(() => (globalThis as unknown as { tracked?: unknown }).tracked, undefined, { timeout: 30_000 })
        .then((h) => h.jsonValue() as Promise<{ ids: string[]; stats: { requests: number; accepted: number; failed: number; beaconed: number }; errors: string[] }>);
      await context.close();
      assert.deepEqual(tracked.errors, [], 'no tracker errors (a CORS refusal shows up as a network error)');
      assert.equal(tracked.stats.accepted, 12, 'the page read every answer (CORS headers on the POST answers)');
      assert.equal(tracked.stats.failed, 0);
      assert.equal(tracked.stats.beaconed, 0);
      assert.ok(tracked.stats.requests >= 3, 'batches of 5 went out by fetch');
      assert.ok(methods.includes('POST'), `the browser posted to ingestion (saw ${methods.join(',')})`);
      const records = await waitFor(
        async () => {
          const read = await kcatRead(kafkaBrokers, scope.eventsTopic);
          return read.length >= before + tracked.ids.length ? read : undefined;
        },
        { timeoutMs: 20_000, message: 'fetched events on Kafka' },
      );
      const events = records.map((r) => fromBinary(EventSchema, r.value)).filter((e) => e.sessionId === 's-fetch');
      assert.deepEqual(events.map((e) => e.eventId).sort(), [...tracked.ids].sort());
      for (const e of events) assert.equal(e.source, EventSource.TRACKER);
    } finally {
      shop.server.closeAllConnections();
      await new Promise<void>((resolve) => shop.server.close(() => resolve()));
    }
  });
});
