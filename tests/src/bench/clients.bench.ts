/**
 * `clickwise bench clients [--events N] [--rounds N] [--json]`: in-process cost of the two event
 * producers the project ships (no network, no Kafka): the seeded simulator's events/s, and the
 * tracker SDK's `track()` cost per call with delivery held back (what a storefront page pays per
 * click). Best of --rounds, beside the hardware. These were timed unit tests; a figure that depends
 * on the machine's load belongs here, not in an assertion.
 */
import { Simulator } from '@clickwise/simulator';
import { createTracker, type Scheduler } from '@clickwise/tracker';
import { parseArgs } from 'node:util';
import { describeHardware, hardware, report, round } from './common.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stderr.write('Usage: clickwise bench clients [--events N] [--rounds N] [--json]\n');
  process.exit(0);
}
const events = Number(values.events);
const rounds = Number(values.rounds);
const hw = hardware();
console.log(`hardware: ${describeHardware(hw)}`);

const reviews = [
  { text: 'great product, works as described', rating: 5, positive: true },
  { text: 'stopped working after a week', rating: 1, positive: false },
];
let simulatorBest = 0;
for (let run = 0; run < rounds; run++) {
  const sim = new Simulator({ seed: run, rate: 10_000, reviews });
  const started = performance.now();
  const taken = sim.take(events).length;
  simulatorBest = Math.max(simulatorBest, taken / ((performance.now() - started) / 1000));
}

/** A scheduler whose timers never fire: track() only queues, nothing is delivered. */
const held: Scheduler = { now: () => Date.now(), setTimeout: () => 0, clearTimeout: () => undefined };
let trackBestNs = Number.POSITIVE_INFINITY;
for (let run = 0; run < rounds; run++) {
  const tracker = createTracker({
    endpoint: 'http://ingest.invalid',
    key: 'pk_bench',
    scheduler: held,
    fetch: () => new Promise<never>(() => undefined),
    onError: () => undefined,
    page: false,
    sendBeacon: false,
    maxQueue: events + 1,
    batchSize: 1000,
    flushIntervalMs: 3_600_000,
  });
  const started = performance.now();
  for (let i = 0; i < events; i++) tracker.track({ type: 'product_view', itemId: String(i) });
  trackBestNs = Math.min(trackBestNs, ((performance.now() - started) * 1e6) / events);
}

const results = { simulatorEventsPerSecond: Math.round(simulatorBest), trackerNsPerCall: round(trackBestNs, 0), events, rounds };
report(
  'Clients in process (best of rounds)',
  [
    { measure: 'simulator', figure: `${results.simulatorEventsPerSecond.toLocaleString('en')} events/s` },
    { measure: 'tracker.track()', figure: `${results.trackerNsPerCall} ns/call` },
  ],
  { bench: 'clients', hardware: hw, ...results },
  values.json,
);
