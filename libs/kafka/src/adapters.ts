import type { ClientAdapterFactory } from './adapter.js';
import { confluentAdapter } from './confluent.adapter.js';
import { kafkajsAdapter } from './kafkajs.adapter.js';

/**
 * The client adapters, by the name KAFKA_CLIENT selects. A second client is one adapter file and
 * one line here; the contract suite (tests/src/kafka/contract.int.spec.ts) runs over every entry.
 */
export const clientAdapters = {
  kafkajs: kafkajsAdapter,
  confluent: confluentAdapter,
} as const satisfies Record<string, ClientAdapterFactory>;

export type KafkaClientName = keyof typeof clientAdapters;

export const kafkaClientNames = Object.keys(clientAdapters) as KafkaClientName[];

/** The adapter named by `name`, else KAFKA_CLIENT, else kafkajs (the default ADR 0042 names). */
export function selectAdapter(name: string | undefined = process.env.KAFKA_CLIENT): ClientAdapterFactory {
  const chosen = name === undefined || name === '' ? 'kafkajs' : name;
  if (!(chosen in clientAdapters)) {
    throw new Error(`KAFKA_CLIENT=${chosen} is not a Kafka client adapter (one of: ${kafkaClientNames.join(', ')})`);
  }
  return clientAdapters[chosen as KafkaClientName];
}
