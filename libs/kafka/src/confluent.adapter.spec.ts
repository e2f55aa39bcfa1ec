import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loggerOf, normalised } from './confluent.adapter.js';
import type { KafkaLogger } from './logger.js';

// Importing the adapter does not load @confluentinc/kafka-javascript (it is required on first use),
// so this spec runs where the optional native build is absent.

function capture() {
  const entries: [string, string, Record<string, unknown> | undefined][] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void entries.push([level, msg, fields]);
  const logger: KafkaLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { entries, log: loggerOf(logger) };
}

void describe('confluent adapter', () => {
  void test('conditions librdkafka retries by itself are debug; the rest keep their level, with the client name', () => {
    const { entries, log } = capture();
    log.warn('Failed to acquire idempotence PID from broker 1: Coordinator load in progress: retrying');
    log.info("Received rebalance event with message: 'Local: Assign partitions' and 6 partition(s), isLost: false");
    log.error('Broker: Not coordinator');
    log.error('Broker transport failure', { broker: 'b1' });
    log.warn('something odd');
    assert.deepEqual(entries.map((e) => e[0]), ['debug', 'debug', 'debug', 'error', 'warn']);
    assert.deepEqual(entries[3]![2], { client: 'confluent', broker: 'b1' });
    assert.equal(log.namespace('x'), log, 'namespaces share the one logger');
  });

  void test('protocol-retriable error codes the client marks non-retriable become retriable; others stay as they are', () => {
    const unknownTopic = normalised(Object.assign(new Error('Broker: Unknown topic or partition'), { code: 3, retriable: false }));
    const timedOut = normalised(Object.assign(new Error('Local: Timed out'), { code: -185, retriable: false }));
    const invalidConfig = normalised(Object.assign(new Error('Broker: Invalid config'), { code: 40, retriable: false }));
    assert.equal((unknownTopic as { retriable: boolean }).retriable, true);
    assert.equal((timedOut as { retriable: boolean }).retriable, true);
    assert.equal((invalidConfig as { retriable: boolean }).retriable, false);
    assert.equal(normalised('not an object'), 'not an object');
  });
});
