import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRetriedCondition } from './kafkajs.adapter.js';

void describe('isRetriedCondition (kafkajs entries logged at debug, not error)', () => {
  const retried: [string, string | undefined][] = [
    ['Response Produce(key: 0, version: 7)', 'This server is not the leader for that topic-partition'],
    ['Response Metadata(key: 3, version: 6)', 'There is no leader for this topic-partition as we are in the middle of a leadership election'],
    ['Response JoinGroup(key: 11, version: 5)', 'The coordinator is loading and hence can\'t process requests'],
    ['Response FindCoordinator(key: 10, version: 2)', 'The coordinator is not available'],
    ['Response Heartbeat(key: 12, version: 3)', 'The group is rebalancing, so a rejoin is needed'],
    ['Connection error: connect ECONNREFUSED 127.0.0.1:9092', undefined],
    ['Failed to connect to seed broker, trying another broker from the list: Connection error', undefined],
  ];
  for (const [message, error] of retried) void test(`retried: ${error ?? message}`, () => assert.equal(isRetriedCondition(message, error), true));

  const real: [string, string | undefined][] = [
    ['Crash: KafkaJSNumberOfRetriesExceeded', 'Connection timeout'],
    ['Crash: KafkaJSNumberOfRetriesExceeded', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
    ['Response Produce(key: 0, version: 7)', 'The request included a message larger than the max message size the server will accept'],
    ['Response SaslAuthenticate', 'Authentication failed'],
  ];
  for (const [message, error] of real) void test(`kept: ${error ?? message}`, () => assert.equal(isRetriedCondition(message, error), false));
});
