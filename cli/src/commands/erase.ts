import { FeatureEngine } from '@clickwise/features';
import { KafkaPlatform } from '@clickwise/kafka';
import { ErasureLog } from '@clickwise/privacy';
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
  2. waits for a running features service to apply it (it deletes the shopper and session
     features); when none answers on http://127.0.0.1:${featuresPort()}/health/ready, the record is
     pending: every service applies it when it starts, before any event (the command itself
     deletes nothing).
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
  summary: 'forget a shopper: erasure record to privacy.erasures.v1 (the services delete their state)',
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
    const requestedBy = values.by ?? `cli:${userInfo().username}`;
    const requestedAtMs = Date.now();

    const kafka = KafkaPlatform.create({ brokers, clientId: 'clickwise-cli-erase', topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '', logLevel: 'ERROR' });
    const producer = kafka.producer();
    const erasures = new ErasureLog(kafka, producer);
    await producer.connect();
    try {
      await erasures.publish({ shopperKey, requestedAtMs, requestedBy });
    } finally {
      await producer.disconnect();
    }

    const engine = new FeatureEngine();
    const keys = new FeatureKeys(engine.version, process.env.REDIS_KEY_PREFIX || 'cw:');
    const redis: RedisClient = createRedis(redisUrl, { connectionName: 'clickwise-cli', lazyConnect: true });
    redis.on('error', () => undefined);
    let how: 'features service' | 'pending' = 'pending';
    try {
      if (await featuresRunning()) {
        // Read-only: the service's erasure marker says the record was applied.
        await redis.connect();
        const applied = async () => Number((await redis.get(keys.erased(shopperKey))) ?? '-1') >= requestedAtMs;
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
          if (await applied()) {
            how = 'features service';
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      redis.disconnect();
    }
    const result = { shopperKey, requestedAtMs, requestedBy, topic: erasures.topic, definitionsVersion: engine.version, stateDeletedBy: how };
    if (values.json) {
      printJson(result);
    } else {
      info(bold(`erased ${shopperKey}`));
      console.log(`erasure record written to ${result.topic} (requested at ${new Date(requestedAtMs).toISOString()} by ${requestedBy})`);
      console.log(
        how === 'pending'
          ? 'no features service applied it yet: every service applies it when it starts, before any event'
          : 'feature state deleted by the features service',
      );
    }
    return 0;
  },
};
