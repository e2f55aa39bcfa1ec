import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { RecommendationSchema, topics } from '@clickwise/contracts';
import { Topic, type KafkaPlatform, type KafkaProducer, type OutgoingRecord } from '@clickwise/kafka';
import { Registry } from '@clickwise/telemetry';
import { ServedFeed } from './served-feed.js';

/** The producer's one method the feed calls, recording each send; `fail` makes Kafka refuse them. */
function producerStub(fail = false): { producer: KafkaProducer; sends: { topic: string; records: OutgoingRecord[] }[] } {
  const sends: { topic: string; records: OutgoingRecord[] }[] = [];
  const producer = {
    send: (topic: Topic, records: OutgoingRecord[]) => {
      sends.push({ topic: topic.name, records });
      return fail ? Promise.reject(new Error('refused')) : Promise.resolve();
    },
  } as unknown as KafkaProducer;
  return { producer, sends };
}

const kafka = { topics: { recommendationsServed: new Topic(topics.recommendationsServed, 'test.') } } as unknown as KafkaPlatform;
const list = (id: string) => create(RecommendationSchema, { recommendationId: id });
const outcome = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric('clickwise_recommender_served_published_total')!.get()).values.find((v) => v.labels.outcome === name)?.value ?? 0;

void describe('served feed', () => {
  void it('sends the lists of one flush interval in one send, in order, each as served', async () => {
    const { producer, sends } = producerStub();
    const registry = new Registry();
    const feed = new ServedFeed(kafka, producer, registry, undefined, 20);
    for (const id of ['a', 'b', 'c']) feed.publish(list(id));
    assert.equal(sends.length, 0, 'nothing sent before the interval ends');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(sends.length, 1);
    assert.equal(sends[0]!.topic, 'test.recommendations.served.v1');
    assert.deepEqual(sends[0]!.records.map((r) => fromBinary(RecommendationSchema, r.value).recommendationId), ['a', 'b', 'c']);
    assert.equal(await outcome(registry, 'written'), 3);
    feed.publish(list('d'));
    await feed.flush();
    assert.equal(sends.length, 2, 'flush sends what waits at once');
    assert.equal(await outcome(registry, 'written'), 4);
  });

  void it('uses the bytes the caller encoded, and counts a refused send as failed lists', async () => {
    const { producer, sends } = producerStub(true);
    const registry = new Registry();
    const errors: unknown[] = [];
    const feed = new ServedFeed(kafka, producer, registry, (e) => errors.push(e), 1000);
    const bytes = new Uint8Array([10, 1, 0x78]);
    feed.publishEncoded('u-7', bytes);
    feed.publish(list('y'));
    await feed.flush();
    assert.deepEqual([...sends[0]!.records[0]!.value], [...bytes]);
    assert.equal(sends[0]!.records[0]!.key, 'u-7', 'keyed by the shopper, as the topic keys a list');
    assert.equal(sends[0]!.records[1]!.key, topics.recommendationsServed.keyOf!(list('y')));
    assert.equal(await outcome(registry, 'failed'), 2);
    assert.equal(errors.length, 1);
    await feed.flush();
    assert.equal(sends.length, 1, 'nothing left to send');
  });
});
