import { join } from 'node:path';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { freePort, LocalKafka, LocalRedis, repoRoot } from '@clickwise/local-infra';

/** Where the test suite's Kafka and Redis come from. */
export type InfraProvider = 'env' | 'testcontainers' | 'local-scripts';

export interface TestInfra {
  provider: InfraProvider;
  kafkaBrokers: string[];
  redisUrl: string;
  /** How long choosing the provider took (ms). */
  detectMs: number;
  /** A line for the test output saying what was used. */
  describe(): string;
  stop(): Promise<void>;
}

export const KAFKA_IMAGE = 'apache/kafka:4.3.1';
export const REDIS_IMAGE = 'redis:7.4-alpine';

/** Whether Testcontainers finds a container engine (Docker, Podman, ...). Exported for its test. */
export async function containerEngineReachable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<{ kafkaBrokers: string[]; redisUrl: string; stop(): Promise<void> }> {
  // A fixed host port lets the broker advertise the address clients outside the container use.
  const kafkaPort = await freePort();
  const kafka: StartedTestContainer = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const redis = await new GenericContainer(REDIS_IMAGE)
    .withExposedPorts(6379)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  return {
    kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    async stop() {
      await Promise.all([kafka.stop(), redis.stop()]);
    },
  };
}

/**
 * Chooses and starts the suite's Kafka and Redis: KAFKA_BROKERS/REDIS_URL when both are set;
 * else Testcontainers when a container engine answers; else the project's scripts
 * (deploy/local/kafka.sh, redis.sh) on the given ports.
 */
export async function startTestInfra(options: { kafkaPort: number; redisPort: number }): Promise<TestInfra> {
  const started = Date.now();
  const envBrokers = process.env.KAFKA_BROKERS;
  const envRedis = process.env.REDIS_URL;
  if (envBrokers && envRedis) {
    const detectMs = Date.now() - started;
    return {
      provider: 'env',
      kafkaBrokers: envBrokers.split(','),
      redisUrl: envRedis,
      detectMs,
      describe: () => `infra: env (KAFKA_BROKERS=${envBrokers}, REDIS_URL=${envRedis}), chosen in ${detectMs} ms`,
      stop: () => Promise.resolve(),
    };
  }
  if (await containerEngineReachable()) {
    const detectMs = Date.now() - started;
    const containers = await startContainers();
    return {
      provider: 'testcontainers',
      ...containers,
      detectMs,
      describe: () =>
        `infra: testcontainers (${KAFKA_IMAGE} at ${containers.kafkaBrokers.join(',')}, ${REDIS_IMAGE} at ${containers.redisUrl}), chosen in ${detectMs} ms`,
    };
  }
  const detectMs = Date.now() - started;
  const state = join(repoRoot(), '.clickwise');
  const kafka = LocalKafka.shared(options.kafkaPort, join(state, `kafka-${options.kafkaPort}`));
  const redis = LocalRedis.shared(options.redisPort, join(state, `redis-${options.redisPort}`));
  await Promise.all([kafka.start(), redis.start()]);
  return {
    provider: 'local-scripts',
    kafkaBrokers: kafka.brokers,
    redisUrl: redis.url,
    detectMs,
    describe: () =>
      `infra: local-scripts (no container engine; Kafka 4.3.1 at ${kafka.brokers.join(',')}, redis-server at ${redis.url}), chosen in ${detectMs} ms`,
    async stop() {
      await Promise.all([kafka.stop(), redis.stop()]);
    },
  };
}

/** Inside a test: the Kafka and Redis the suite runner provided. */
export function testInfra(): { kafkaBrokers: string[]; redisUrl: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const redisUrl = process.env.REDIS_URL;
  if (!brokers || !redisUrl) {
    throw new Error('KAFKA_BROKERS and REDIS_URL are not set: run the suite with ./clickwise test (it provides them)');
  }
  return { kafkaBrokers: brokers.split(','), redisUrl };
}
