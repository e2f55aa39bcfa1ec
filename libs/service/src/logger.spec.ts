import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { ServiceLogger } from './logger.js';
import { NestLoggerBridge } from './nest-logger.js';

function capture(level: 'error' | 'warn' | 'info' | 'debug' = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: ServiceLogger.create('shop', level, sink), lines };
}

void describe('ServiceLogger', () => {
  void test('one JSON object per line: level name, ISO time, service, component, msg, fields', () => {
    const { logger, lines } = capture();
    logger.child('kafkajs').warn('broker slow', { broker: 'b:9092' });
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line.level, 'warn');
    assert.equal(line.service, 'shop');
    assert.equal(line.component, 'kafkajs');
    assert.equal(line.msg, 'broker slow');
    assert.equal(line.broker, 'b:9092');
    assert.ok(!Number.isNaN(Date.parse(String(line.time))));
  });

  void test('LOG_LEVEL filters, also for children made afterwards', () => {
    const { logger, lines } = capture('warn');
    logger.info('hidden');
    logger.child('x').debug('hidden');
    logger.error('shown');
    assert.deepEqual(lines.map((l) => l.msg), ['shown']);
  });
});

void describe('NestLoggerBridge', () => {
  void test("Nest's log/error/verbose become debug/error/debug lines with their context", () => {
    const { logger, lines } = capture();
    const nest = new NestLoggerBridge(logger);
    nest.log('Mapped {/status, GET} route', 'RouterExplorer');
    nest.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
    nest.verbose('detail', 'InstanceLoader');
    assert.deepEqual(
      lines.map((l) => [l.level, l.component, l.msg, l.context]),
      [
        ['debug', 'nest', 'Mapped {/status, GET} route', 'RouterExplorer'],
        ['error', 'nest', 'boom', 'ExceptionsHandler'],
        ['debug', 'nest', 'detail', 'InstanceLoader'],
      ],
    );
    assert.match(String(lines[1]!.stack), /at x/);
  });
});
