import type { DeployModel, DeployService } from './model.js';

/** Images compose runs for the infrastructure (pinned versions; Kafka as deploy/local uses, ADR 0001). */
export const COMPOSE_IMAGES = { kafka: 'apache/kafka:4.3.1', redis: 'redis:7.4.7-bookworm' } as const;

/** The values compose gives the variables that point at its own Kafka and Redis. */
const COMPOSE_INFRA: Readonly<Record<string, string>> = { KAFKA_BROKERS: 'kafka:9092', REDIS_URL: 'redis://redis:6379' };

function environment(s: DeployService): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of s.env.vars) {
    const infra = COMPOSE_INFRA[v.name];
    if (infra !== undefined) env[v.name] = infra;
    else if (v.default !== undefined) env[v.name] = v.default;
  }
  return env;
}

function topicCommands(model: DeployModel): string {
  return model.topics
    .map((t) => {
      const configs = Object.entries(t.config).map(([k, v]) => ` --config ${k}=${v}`).join('');
      return `/opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists --topic ${t.name} --partitions ${t.partitions} --replication-factor 1${configs}`;
    })
    .join(' && ');
}

/**
 * deploy/compose/compose.yaml: Kafka (KRaft, one combined node), Redis, the catalogue's topics
 * (a one-shot container), every service built from deploy/images/Dockerfile with every variable
 * its config reads, under the same names as everywhere else.
 */
export function composeFile(model: DeployModel): Record<string, unknown> {
  const services: Record<string, unknown> = {
    kafka: {
      image: COMPOSE_IMAGES.kafka,
      environment: {
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://kafka:9092',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_LOG_DIRS: '/var/lib/kafka/data',
      },
      volumes: ['kafka-data:/var/lib/kafka/data'],
      healthcheck: {
        test: ['CMD', '/opt/kafka/bin/kafka-broker-api-versions.sh', '--bootstrap-server', 'localhost:9092'],
        interval: '5s',
        timeout: '10s',
        retries: 30,
      },
    },
    'kafka-topics': {
      image: COMPOSE_IMAGES.kafka,
      depends_on: { kafka: { condition: 'service_healthy' } },
      entrypoint: ['/bin/sh', '-c'],
      command: [topicCommands(model)],
      restart: 'no',
    },
    redis: {
      image: COMPOSE_IMAGES.redis,
      // No eviction (an evicted key would be silently wrong state) and an append-only file (ADR 0081).
      command: ['redis-server', '--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
      volumes: ['redis-data:/data'],
      healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '2s', timeout: '2s', retries: 30 },
    },
  };
  for (const s of model.services) {
    const m = s.manifest;
    const http = m.ports.find((p) => p.name === m.httpPort);
    services[m.name] = {
      image: `clickwise/${m.name}:${s.version}`,
      build: {
        context: '../..',
        dockerfile: 'deploy/images/Dockerfile',
        args: { SERVICE: m.name, HEALTH_PORT_ENV: http?.env, HEALTH_PORT: String(http?.default), HEALTH_PATH: m.paths.live },
      },
      command: ['node', ...m.nodeFlags, m.entry],
      environment: environment(s),
      ports: m.ports.map((p) => `\${${p.platformEnv}:-${p.default}}:${p.default}`),
      read_only: true,
      tmpfs: s.hints.writableDirs,
      user: '10001:10001',
      stop_grace_period: `${Math.ceil(s.forceExitMs / 1000) + 5}s`,
      depends_on: { 'kafka-topics': { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' } },
      restart: 'unless-stopped',
    };
  }
  return { name: 'clickwise', services, volumes: { 'kafka-data': {}, 'redis-data': {} } };
}

/** Variables a service reads that compose gives no value (optional ones without a default). */
export function composeUnset(s: DeployService): string[] {
  return s.env.vars.filter((v) => v.default === undefined && COMPOSE_INFRA[v.name] === undefined).map((v) => v.name);
}
