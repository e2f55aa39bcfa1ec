import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** The IPC message a worker sends for the metrics of every worker, and the primary's answer. */
const ASK = 'clickwise:cluster-metrics';

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ASK;
  id: number;
  text?: string;
  error?: string;
}

const isAsk = (m: unknown): m is Ask => typeof m === 'object' && m !== null && (m as Ask).type === ASK;

/**
 * In the primary of a node:cluster service: answers the workers' `shareClusterMetrics` requests
 * with prom-client's aggregate of every worker's registry (counters and histograms summed; gauges
 * summed unless the metric names another aggregator; process metrics by prom-client's own rule).
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isAsk(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: ASK, id: message.id, text } satisfies Answer),
      (error: unknown) => worker.isConnected() && worker.send({ type: ASK, id: message.id, error: String(error) } satisfies Answer),
    );
  });
}

/**
 * In a node:cluster worker: `registry` is what the primary aggregates, and its `metrics()` (what
 * GET /metrics serves) answers with the sum over all workers, so a scrape that reaches any worker
 * sees the whole process. Outside a cluster it does nothing.
 */
export function shareClusterMetrics(registry: Registry): void {
  if (!cluster.isWorker) return;
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one adds prom-client's worker-side responder (idempotent).
  new AggregatorRegistry();
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isAsk(message)) return;
    const answer = message as Answer;
    const wait = waiting.get(answer.id);
    if (!wait) return;
    waiting.delete(answer.id);
    if (answer.text !== undefined) wait.resolve(answer.text);
    else wait.reject(new Error(`cluster metrics: ${answer.error ?? 'no answer'}`));
  });
  registry.metrics = () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('cluster metrics: the primary did not answer within 5 s'));
      }, 5000);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ type: ASK, id } satisfies Ask);
    });
}
