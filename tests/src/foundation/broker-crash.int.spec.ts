import { create, fromBinary } from '@bufbuild/protobuf';
import { allTopics, CatalogItemSchema, ErasureRecordSchema, EventSchema, ModelPublishedSchema, shopperKey, topics } from '@clickwise/contracts';
import { KafkaPlatform, KafkaProducer } from '@clickwise/kafka';
import { LocalKafka, LocalRedis, repoRoot, runScript } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fullEvent } from './factories.js';
import { kcatConsume } from './kcat.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

interface StatusJson {
  kafka: { state: string; port: number; detail: string };
  redis: { state: string; port: number; detail: string };
  topics: { name: string; partitions: number; messages: number }[];
  missingTopics: string[];
}

/** Runs the real CLI (its built entry point, as ./clickwise does after bootstrapping) as a child process. */
function clickwise(args: string[], env: Record<string, string>): Promise<CliResult> {
  const root = repoRoot();
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--enable-source-maps', join(root, 'cli/dist/main.js'), ...args],
      {
        cwd: root,
        env: { ...process.env, PATH: `${join(root, 'tools/node_modules/.bin')}:${process.env.PATH ?? ''}`, ...env },
        timeout: 150_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

function lastJson(stdout: string): StatusJson {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as StatusJson;
}

function counts(status: StatusJson): Record<string, number> {
  return Object.fromEntries(status.topics.map((t) => [t.name, t.messages]));
}

void describe('a Kafka broker crash: `clickwise infra status` reports it, `clickwise infra start` recovers it with the topics intact', () => {
  let kafka: LocalKafka;
  let redis: LocalRedis;
  let env: Record<string, string>;

  before(async () => {
    const tools = await runScript('test-tools.sh', [], {});
    assert.equal(tools.code, 0, `deploy/local/test-tools.sh failed:\n${tools.stderr}`);
    // This test kills a broker: it starts instances of its own, on their own ports and folders.
    [kafka, redis] = await Promise.all([LocalKafka.startOwn(), LocalRedis.startOwn()]);
    env = { ...kafka.env, ...redis.env };
  });

  after(async () => {
    await Promise.allSettled([kafka?.dispose(), redis?.dispose()]);
  });

  void test('SIGKILL the broker; status says it crashed (exit 3); start recovers it; every topic and record is still there', async () => {
    const client = KafkaPlatform.create({ brokers: kafka.brokers, clientId: 'crash-test', logLevel: 'ERROR' });
    const created = await client.admin.ensureTopics(allTopics);
    assert.equal(created.created.length, allTopics.length, 'the whole catalogue created on the own broker');

    const events = Array.from({ length: 60 }, (_, i) => fullEvent({ userId: `crash-${i % 9}` }));
    const producer = client.producer();
    await producer.connect();
    try {
      await producer.send(client.topics.events, events.map((e) => KafkaProducer.encode(topics.events, shopperKey(e), e)));
      await producer.send(
        client.topics.catalogItems,
        Array.from({ length: 5 }, (_, i) =>
          KafkaProducer.encode(topics.catalogItems, `item-${i}`, create(CatalogItemSchema, { itemId: `item-${i}`, available: true, price: i })),
        ),
      );
      await producer.send(client.topics.modelsPublished, [
        KafkaProducer.encode(topics.modelsPublished, 'propensity/v1', create(ModelPublishedSchema, { model: 'propensity', version: 'v1' })),
        KafkaProducer.encode(topics.modelsPublished, 'propensity/champion', create(ModelPublishedSchema, { model: 'propensity', version: 'v1' })),
      ]);
      await producer.send(client.topics.erasures, [
        KafkaProducer.encode(topics.erasures, 'crash-3', create(ErasureRecordSchema, { shopperKey: 'crash-3', requestedBy: 'test' })),
      ]);
    } finally {
      await producer.disconnect();
    }
    const expected = {
      [topics.events.name]: 60,
      [topics.deadLetters.name]: 0,
      [topics.featuresUpdated.name]: 0,
      [topics.predictionsUpdated.name]: 0,
      [topics.modelsPublished.name]: 2,
      [topics.modelArtifacts.name]: 0,
      [topics.erasures.name]: 1,
      [topics.catalogItems.name]: 5,
      [topics.recommendationsServed.name]: 0,
    };

    // Healthy first: the CLI sees the own broker and Redis (KAFKA_PORT/KAFKA_DIR, REDIS_PORT/REDIS_DIR).
    const healthy = await clickwise(['infra', 'status', '--json'], env);
    assert.equal(healthy.code, 0, `status before the crash:\n${healthy.stderr}${healthy.stdout}`);
    const before = lastJson(healthy.stdout);
    assert.equal(before.kafka.state, 'running');
    assert.equal(before.kafka.port, kafka.port);
    assert.deepStrictEqual(counts(before), expected);

    // Crash: SIGKILL, no clean shutdown.
    await kafka.kill();
    const crashed = await clickwise(['infra', 'status'], env);
    console.log(`infra status after SIGKILL (exit ${crashed.code}, ${crashed.ms} ms):\n${crashed.stdout}`);
    assert.equal(crashed.code, 3, 'exit code 3 when something is down');
    assert.match(crashed.stdout, new RegExp(`✗ kafka down \\(crashed: pid file left, process gone\\) port=${kafka.port}`));
    assert.match(crashed.stdout, new RegExp(`● redis running pid=\\d+ port=${redis.port}`), 'Redis is unaffected');
    const crashedJson = lastJson((await clickwise(['infra', 'status', '--json'], env)).stdout);
    assert.equal(crashedJson.kafka.state, 'down');
    assert.equal(crashedJson.redis.state, 'running');

    // Recovery: `infra start` restarts the broker on the same data and finds every topic there.
    const started = await clickwise(['infra', 'start'], env);
    console.log(`infra start (exit ${started.code}, ${started.ms} ms):\n${started.stderr}`);
    assert.equal(started.code, 0, `infra start:\n${started.stderr}${started.stdout}`);
    assert.match(started.stderr, new RegExp(`topics: 0 created, ${allTopics.length} already there`));

    const recovered = await clickwise(['infra', 'status'], env);
    console.log(`infra status after recovery (exit ${recovered.code}):\n${recovered.stdout}`);
    assert.equal(recovered.code, 0, `status after recovery:\n${recovered.stderr}${recovered.stdout}`);
    assert.match(recovered.stdout, new RegExp(`● kafka running pid=\\d+ port=${kafka.port}`));
    const after = lastJson((await clickwise(['infra', 'status', '--json'], env)).stdout);
    assert.equal(after.kafka.state, 'running');
    assert.deepStrictEqual(after.missingTopics, []);
    assert.equal(after.redis.detail, before.redis.detail, 'Redis was left running as it was (same pid)');
    assert.notEqual(after.kafka.detail, before.kafka.detail, 'a new broker process');
    assert.deepStrictEqual(counts(after), expected, 'record counts as before the crash');
    for (const spec of allTopics) {
      assert.equal(after.topics.find((t) => t.name === spec.name)?.partitions, spec.partitions, `${spec.name} partitions`);
    }

    // And the records themselves: an independent client reads back every event, byte for byte decodable.
    const read = await kcatConsume(kafka.brokers, topics.events.name);
    const ids = read.map((r) => fromBinary(EventSchema, r.value ?? Buffer.alloc(0)).eventId).sort();
    assert.deepStrictEqual(ids, events.map((e) => e.eventId).sort());
  });
});
