import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logCreator } from './kafkajs.adapter.js';
import type { KafkaLogger } from './logger.js';

// kafkajs's numeric levels (its logLevel enum), so this spec needs no client import.
const ERROR = 1;
const WARN = 2;
const INFO = 4;

function capture() {
  const entries: [string, string, Record<string, unknown> | undefined][] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void entries.push([level, msg, fields]);
  const logger: KafkaLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const log = logCreator(logger)();
  const entry = (level: number, message: string, extra: Record<string, unknown> = {}) =>
    log({ namespace: 'test', level, label: 'x', log: { timestamp: 't', message, ...extra } });
  return { entries, entry };
}

void describe('kafkajs adapter log mapping', () => {
  void test('conditions kafkajs retries by itself are debug, whatever level kafkajs gives them', () => {
    const { entries, entry } = capture();
    entry(ERROR, 'Response Metadata', { error: 'This server is not the leader for that topic-partition' });
    entry(ERROR, '[Connection] Response GroupCoordinator', { error: 'The coordinator is loading and hence can\'t process requests' });
    entry(ERROR, 'Response FindCoordinator', { error: 'The coordinator is not available' });
    entry(ERROR, 'Response Metadata(key: 3, version: 6)', { error: 'This server does not host this topic-partition' });
    entry(ERROR, 'Response CreateTopics(key: 19, version: 3)', { error: 'Topic creation errors' });
    entry(WARN, 'Limiting retries for the idempotent producer to Number.MAX_SAFE_INTEGER');
    assert.deepEqual(entries.map((e) => e[0]), ['debug', 'debug', 'debug', 'debug', 'debug', 'debug']);
  });

  void test('other entries keep their level, with their fields and the client name', () => {
    const { entries, entry } = capture();
    entry(ERROR, 'Crash: KafkaJSNonRetriableError', { groupId: 'g' });
    entry(WARN, 'something odd');
    entry(INFO, 'Consumer has joined the group');
    assert.deepEqual(entries.map((e) => [e[0], e[1]]), [['error', 'Crash: KafkaJSNonRetriableError'], ['warn', 'something odd'], ['info', 'Consumer has joined the group']]);
    assert.deepEqual(entries[0]![2], { client: 'kafkajs', groupId: 'g' });
  });
});
