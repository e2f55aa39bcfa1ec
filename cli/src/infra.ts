import { allTopics } from '@clickwise/contracts';
import { KafkaPlatform } from '@clickwise/kafka';
import { LocalKafka, LocalRedis } from '@clickwise/local-infra';
import { join } from 'node:path';
import { info } from './command.js';
import { settings } from './settings.js';

/** KAFKA_DIR / REDIS_DIR (as deploy/local/*.sh read them) move the platform's state folder. */
function stateDir(envName: 'KAFKA_DIR' | 'REDIS_DIR', port: number, platformPort: number, fallback: string): string {
  const override = process.env[envName];
  return override && port === platformPort ? override : fallback;
}

export function platformKafka(port = settings.kafkaPort): LocalKafka {
  return LocalKafka.shared(port, stateDir('KAFKA_DIR', port, settings.kafkaPort, join(settings.state, `kafka-${port}`)));
}

/** The platform's Redis persists (append-only file in its state folder) so `down`/`up` keep keys, dedupe and features. */
export function platformRedis(port = settings.redisPort): LocalRedis {
  return LocalRedis.shared(port, stateDir('REDIS_DIR', port, settings.redisPort, join(settings.state, `redis-${port}`)), {
    persist: port === settings.redisPort,
  });
}

export interface InfraStatus {
  kafka: { state: 'running' | 'down' | 'stopped'; port: number; detail: string };
  redis: { state: 'running' | 'down' | 'stopped'; port: number; detail: string };
  topics: { name: string; partitions: number; messages: number }[];
  missingTopics: string[];
}

function stateOf(line: string): 'running' | 'down' | 'stopped' {
  if (/\brunning\b/.test(line)) return 'running';
  if (/\bdown\b/.test(line)) return 'down';
  return 'stopped';
}

/** Starts Kafka and Redis (each only if not running) and creates the catalogue's missing topics. */
export async function startInfra(kafkaPort = settings.kafkaPort, redisPort = settings.redisPort): Promise<void> {
  info(`starting Kafka on ${kafkaPort} and Redis on ${redisPort}…`);
  await Promise.all([platformKafka(kafkaPort).start(), platformRedis(redisPort).start()]);
  const kafka = KafkaPlatform.create({ brokers: [`127.0.0.1:${kafkaPort}`], clientId: 'clickwise-cli' });
  const result = await kafka.admin.ensureTopics();
  info(
    `topics: ${result.created.length} created${result.created.length ? ` (${result.created.join(', ')})` : ''}, ${result.existing.length} already there`,
  );
}

export async function stopInfra(kafkaPort = settings.kafkaPort, redisPort = settings.redisPort): Promise<void> {
  await Promise.all([platformKafka(kafkaPort).stop(), platformRedis(redisPort).stop()]);
}

export async function infraStatus(kafkaPort = settings.kafkaPort, redisPort = settings.redisPort): Promise<InfraStatus> {
  const [k, r] = await Promise.all([platformKafka(kafkaPort).status(), platformRedis(redisPort).status()]);
  const kafkaLine = (k.stdout || k.stderr).trim();
  const redisLine = (r.stdout || r.stderr).trim();
  const status: InfraStatus = {
    kafka: { state: stateOf(kafkaLine), port: kafkaPort, detail: kafkaLine },
    redis: { state: stateOf(redisLine), port: redisPort, detail: redisLine },
    topics: [],
    missingTopics: [],
  };
  if (status.kafka.state === 'running') {
    const kafka = KafkaPlatform.create({
      brokers: [`127.0.0.1:${kafkaPort}`],
      clientId: 'clickwise-cli',
      logLevel: 'NOTHING',
      requestTimeoutMs: 5000,
    });
    status.topics = await kafka.admin.describeTopics();
    const present = new Set(status.topics.map((t) => t.name));
    status.missingTopics = allTopics.map((t) => t.name).filter((name) => !present.has(name));
  }
  return status;
}

export function printInfraStatus(status: InfraStatus): void {
  const mark = (s: string) => (s === 'running' ? '●' : s === 'down' ? '✗' : '○');
  console.log(`${mark(status.kafka.state)} ${status.kafka.detail}`);
  console.log(`${mark(status.redis.state)} ${status.redis.detail}`);
  for (const t of status.topics) console.log(`    ${t.name.padEnd(26)} ${String(t.partitions).padStart(2)} partitions  ${t.messages} records`);
  for (const name of status.missingTopics) console.log(`    ${name.padEnd(26)} MISSING`);
}
