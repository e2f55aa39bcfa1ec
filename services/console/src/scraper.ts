import type { ScrapeTarget } from './config.js';
import { parseSamples, type Sample } from './prometheus-text.js';

/** How one target answered its last scrape. */
export interface TargetState {
  name: string;
  url: string;
  up: boolean;
  /** Why the last scrape failed. */
  error?: string;
  /** When it last answered (unix ms; 0: never). */
  lastUpMs: number;
  /** How long the last scrape took (ms). */
  scrapeMs: number;
  samples: number;
}

/** Reads the targets' /metrics pages (Prometheus text), each with a timeout, all at once. */
export class Scraper {
  private readonly states = new Map<string, TargetState>();

  constructor(
    readonly targets: readonly ScrapeTarget[],
    private readonly timeoutMs: number,
    private readonly fetcher: typeof fetch = fetch,
  ) {
    for (const t of targets) this.states.set(t.name, { name: t.name, url: t.url, up: false, error: 'not scraped yet', lastUpMs: 0, scrapeMs: 0, samples: 0 });
  }

  /** Scrapes every target; a target that fails gives no samples (and is marked down with why). */
  async scrape(): Promise<Map<string, Sample[]>> {
    const out = new Map<string, Sample[]>();
    await Promise.all(
      this.targets.map(async (t) => {
        const started = performance.now();
        try {
          const response = await this.fetcher(t.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'text/plain' } });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const samples = parseSamples(await response.text());
          out.set(t.name, samples);
          this.states.set(t.name, { name: t.name, url: t.url, up: true, lastUpMs: Date.now(), scrapeMs: Math.round(performance.now() - started), samples: samples.length });
        } catch (error) {
          out.set(t.name, []);
          const before = this.states.get(t.name);
          this.states.set(t.name, {
            name: t.name,
            url: t.url,
            up: false,
            error: describe(error),
            lastUpMs: before?.lastUpMs ?? 0,
            scrapeMs: Math.round(performance.now() - started),
            samples: 0,
          });
        }
      }),
    );
    return out;
  }

  status(): TargetState[] {
    return this.targets.map((t) => this.states.get(t.name)!);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    if (error.name === 'TimeoutError') return 'timed out';
    if (cause?.code) return cause.code === 'ECONNREFUSED' ? 'connection refused (not running?)' : cause.code;
    return error.message;
  }
  return String(error);
}
