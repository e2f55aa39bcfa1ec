import { create } from '@bufbuild/protobuf';
import { ErasureRecordSchema, topics } from '@clickwise/contracts';
import { eraseShopperState } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import { createKafka, KafkaProducer } from '@clickwise/kafka';
import { createRedis, FeatureKeys, type RedisClient } from '@clickwise/redis';
import { userInfo } from 'node:os';
import { bold, info, parseCommandArgs, printJson, type Command } from '../command.js';
import { serviceOrigin } from '../services.js';
import { settings } from '../settings.js';

const featuresPort = () => new URL(serviceOrigin('features')).port;

const help = `Usage: clickwise erase SHOPPER [--by WHO] [--json]

Forgets a shopper (the shopper key: user id, else anonymous id):
  1. writes an erasure record under SHOPPER to privacy.erasures.v1 (compacted: kept for good; every
     stateful service honours it, and replays and rebuilds skip the shopper's earlier events);
  2. makes sure the shopper's feature state (shopper and session features) is gone: a running
     features service applies the record itself (the command waits for it); when none answers on
     http://127.0.0.1:${featuresPort()}/health/ready, the command deletes the state in Redis.
Item and category counts are anonymous aggregates and keep the shopper's past events.

  --by WHO   who asked (kept in the record; default cli:<user>)

Kafka: KAFKA_BROKERS, else 127.0.0.1:${settings.kafkaPort}. Redis: REDIS_URL, else redis://127.0.0.1:${settings.redisPort}.
KAFKA_TOPIC_PREFIX and REDIS_KEY_PREFIX as the services use them; FEATURES_HTTP_PORT (8082).
HTTP clients with an ops-scoped API key can do the same with POST /ops/erasures on the features
service ({"shopperKey": "..."}).`;

async function featuresRunning(): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${featuresPort()}/health/ready`, { signal: AbortSignal.timeout(1500) });
    return response.ok;
  } catch {
    return false;
  }
}

export const eraseCommand: Command = {
  name: 'erase',
  summary: 'forget a shopper: erasure record to privacy.erasures.v1, feature state deleted',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { by: { type: 'string' } });
    const shopperKey = positionals[0];
    if (!shopperKey || positionals.length > 1) {
      console.error(help);
      return 2;
    }
    const brokers = (process.env.KAFKA_BROKERS || `127.0.0.1:${settings.kafkaPort}`).split(',');
    const redisUrl = process.env.REDIS_URL || `redis://127.0.0.1:${settings.redisPort}`;
    const topicPrefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
    const requestedBy = values.by ?? `cli:${userInfo().username}`;
    const requestedAtMs = Date.now();

    const kafka = createKafka({ brokers, clientId: 'clickwise-cli-erase', logLevel: 'ERROR' });
    const producer = new KafkaProducer(kafka);
    await producer.connect();
    try {
      const record = create(ErasureRecordSchema, { shopperKey, requestedAtMs: BigInt(requestedAtMs), requestedBy });
      await producer.send(topicPrefix + topics.erasures.name, [KafkaProducer.encode(topics.erasures, shopperKey, record)]);
    } finally {
      await producer.disconnect();
    }

    const engine = new FeatureEngine();
    const keys = new FeatureKeys(engine.version, process.env.REDIS_KEY_PREFIX || 'cw:');
    const redis: RedisClient = createRedis(redisUrl, { connectionName: 'clickwise-cli', lazyConnect: true });
    redis.on('error', () => undefined);
    let how: 'features service' | 'cli';
    let deletedKeys: number | undefined;
    try {
      await redis.connect();
      const applied = async () => Number((await redis.get(keys.erased(shopperKey))) ?? '-1') >= requestedAtMs;
      let done = false;
      if (await featuresRunning()) {
        const deadline = Date.now() + 15_000;
        while (!(done = await applied()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      }
      if (done) {
        how = 'features service';
      } else {
        how = 'cli';
        deletedKeys = await eraseShopperState(redis, keys, shopperKey, requestedAtMs);
      }
    } finally {
      redis.disconnect();
    }
    const result = { shopperKey, requestedAtMs, requestedBy, topic: topicPrefix + topics.erasures.name, definitionsVersion: engine.version, stateDeletedBy: how, deletedKeys };
    if (values.json) {
      printJson(result);
    } else {
      info(bold(`erased ${shopperKey}`));
      console.log(`erasure record written to ${result.topic} (requested at ${new Date(requestedAtMs).toISOString()} by ${requestedBy})`);
      console.log(
        how === 'cli'
          ? `feature state deleted by this command: ${deletedKeys} keys (no features service answered)`
          : 'feature state deleted by the features service',
      );
    }
    return 0;
  },
};
