import { allTopics } from '@clickwise/contracts';
import { defineConfig, env, flag, port, positiveInt, serviceConfig, z } from '@clickwise/config';

/** One service whose /metrics the console scrapes for latency histograms and its up/down state. */
export interface ScrapeTarget {
  name: string;
  url: string;
}

/** One consumer group whose lag the console reads from Kafka (the catalogue topic it consumes, without prefix). */
export interface LagGroup {
  group: string;
  topic: string;
}

/**
 * The platform's services on their manifests' default HTTP ports and metrics paths (a spec checks
 * each against services/<name>/service.json). The recommender (port 8085) is listed before its
 * service is on main: until it runs, the page shows it as not answering.
 */
export const DEFAULT_SCRAPE_TARGETS =
  'ingestion=http://127.0.0.1:8080/metrics,features=http://127.0.0.1:8082/metrics,trainer=http://127.0.0.1:8083/metrics,prediction=http://127.0.0.1:8084/metrics,recommender=http://127.0.0.1:8085/metrics';

/** The groups of the services that consume with a shared group (their *_GROUP_ID defaults). */
export const DEFAULT_LAG_GROUPS = 'features@clickstream.events.v1,prediction@features.updated.v1,recommender@clickstream.events.v1';

const NAME = /^[a-z][a-z0-9-]*$/;

/** `name=url,name=url` → targets; every problem is a zod issue. */
const parseTargets = (csv: string, ctx: z.RefinementCtx): ScrapeTarget[] => {
  const out: ScrapeTarget[] = [];
  for (const item of csv.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    const name = item.slice(0, eq);
    const url = item.slice(eq + 1);
    if (eq <= 0 || !NAME.test(name) || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not name=http(s)://host:port/path (name: lower-case letters, digits, -)` });
      continue;
    }
    if (out.some((t) => t.name === name)) ctx.addIssue({ code: 'custom', message: `target "${name}" is listed twice` });
    out.push({ name, url });
  }
  return out;
};

const topicNames = new Set(allTopics.map((t) => t.name));

/** `group@topic,…` → groups; each topic must be in the catalogue. */
const parseGroups = (csv: string, ctx: z.RefinementCtx): LagGroup[] => {
  const out: LagGroup[] = [];
  for (const item of csv.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.lastIndexOf('@');
    const group = item.slice(0, at);
    const topic = item.slice(at + 1);
    if (at <= 0 || !topicNames.has(topic)) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not group@topic with a catalogue topic (${[...topicNames].join(', ')})` });
      continue;
    }
    out.push({ group, topic });
  }
  return out;
};

/** A list variable: empty means the default, which is parsed like a given value. */
const list = <T>(fallback: string, parse: (csv: string, ctx: z.RefinementCtx) => T) =>
  z.preprocess((value) => (value === '' ? undefined : value), z.string().default(fallback).transform(parse));

/** The console's configuration, parsed once from the environment by the kit's runService. */
export class ConsoleConfig extends defineConfig('console', {
  ...serviceConfig,
  /** The page, its JSON and SSE, health and metrics. */
  httpPort: env('HTTP_PORT', port(8086)),
  /** The services whose /metrics are scraped (latency histograms, up/down): `name=url,…`. */
  scrapeTargets: env('CONSOLE_SCRAPE_TARGETS', list(DEFAULT_SCRAPE_TARGETS, parseTargets)),
  /** The consumer groups whose lag is read from Kafka: `group@topic,…` (catalogue topic names, the prefix is added). */
  lagGroups: env('CONSOLE_LAG_GROUPS', list(DEFAULT_LAG_GROUPS, parseGroups)),
  /** How often topic end offsets and group lag are read from Kafka: one point of every chart (ms). */
  pollMs: env('CONSOLE_POLL_MS', positiveInt(1000)),
  /** How often the targets' /metrics are scraped (ms). */
  scrapeMs: env('CONSOLE_SCRAPE_MS', positiveInt(2000)),
  /** How long one scrape may take (ms): above the 2 s a service's /metrics may spend reading its consumer lag from Kafka. */
  scrapeTimeoutMs: env('CONSOLE_SCRAPE_TIMEOUT_MS', positiveInt(3000)),
  /** Points kept per chart (at CONSOLE_POLL_MS each: 300 = 5 minutes at 1 s). */
  historyPoints: env('CONSOLE_HISTORY_POINTS', positiveInt(300)),
  /** Window of the rates (events/s) (ms). */
  rateWindowMs: env('CONSOLE_RATE_WINDOW_MS', positiveInt(5000)),
  /** Window the latency percentiles are taken over (histogram bucket increases, as Prometheus' histogram_quantile over rate[…]) (ms). */
  latencyWindowMs: env('CONSOLE_LATENCY_WINDOW_MS', positiveInt(30_000)),
  /** Newest predictions kept for the live feed. */
  feedSize: env('CONSOLE_FEED_SIZE', positiveInt(25)),
  /** Follow recommendations.served.v1 for the live recommendations panel (ADR 0124); off: the panel says so. */
  recommendations: env('CONSOLE_RECOMMENDATIONS', flag(true)),
  /** Most open status streams (GET /api/stream) at once; more get 429. */
  maxStreams: env('CONSOLE_MAX_STREAMS', positiveInt(50)),
  /** Lifetime of the HttpOnly cookie that carries the ops key after `/?key=…` (s). */
  cookieMaxAgeS: env('CONSOLE_COOKIE_MAX_AGE_S', positiveInt(12 * 3600)),
  /** How long start-up waits to have read models.published.v1 and the dead letters (ms). */
  catchUpMs: env('CONSOLE_CATCHUP_MS', positiveInt(30_000)),
  /** How long an API key lookup is reused before Redis is asked again (ms; 0 = no cache). */
  apiKeyCacheTtlMs: env('API_KEY_CACHE_TTL_MS', z.coerce.number().int().min(0).max(60_000).default(1000)),
}) {}
