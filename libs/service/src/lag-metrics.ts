import { Counter, Gauge, type Registry } from '@clickwise/telemetry';

/** One partition's lag for one consumer group, as `KafkaPlatform.consumerLag()` gives it. */
export interface LagRow {
  groupId: string;
  topic: string;
  partition: number;
  lag: number;
}

/**
 * `clickwise_kafka_consumer_lag{group,topic,partition}`: records behind the end of the log for each
 * consumer group the service's loops joined, read from Kafka when /metrics is scraped (so it is as
 * current as the scrape, and costs nothing between scrapes). A scrape that cannot reach Kafka within
 * `timeoutMs` keeps the last figures and counts `clickwise_kafka_lag_read_errors_total` (the registry
 * reads metrics side by side, so the count shows from the next scrape), so /metrics itself never
 * fails or hangs on a Kafka outage.
 */
export function registerConsumerLag(registry: Registry, read: () => Promise<readonly LagRow[]>, options: { timeoutMs?: number } = {}): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  const errors = new Counter({ name: 'clickwise_kafka_lag_read_errors_total', help: 'Scrapes whose consumer-lag read from Kafka failed or timed out (the lag gauge kept its last figures)', registers: [registry] });
  new Gauge({
    name: 'clickwise_kafka_consumer_lag',
    help: 'Records behind the end of each partition per consumer group (end offset minus committed offset), read at scrape time',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      let timer: NodeJS.Timeout | undefined;
      try {
        const rows = await Promise.race([
          read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`consumer lag not read within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        this.reset();
        for (const row of rows) this.set({ group: row.groupId, topic: row.topic, partition: String(row.partition) }, row.lag);
      } catch {
        errors.inc();
      } finally {
        clearTimeout(timer);
      }
    },
  });
}
