import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { file_clickwise_v1_ingest, IngestBatchResponseSchema, IngestService, IngestStreamResponseSchema } from '@clickwise/contracts';
import { InvalidInputError, OverloadedError } from '@clickwise/errors';
import * as grpc from '@grpc/grpc-js';
import { toGrpcStatus } from '@clickwise/service';
import { addHealth, addReflection, bindServer, shutdownServer } from './server.js';
import { addService, createClient, metadataValue, serviceDefinition } from './service.js';

void describe('libs/grpc adapter over a real grpc-js server', () => {
  const server = new grpc.Server();
  let port = 0;
  /** A readiness the health service follows (as libs/service's HealthService is followed). */
  const readiness = {
    readiness: { ready: true },
    listeners: [] as ((ready: boolean) => void)[],
    onChange(listener: (ready: boolean) => void) {
      this.listeners.push(listener);
    },
    set(ready: boolean) {
      this.readiness.ready = ready;
      for (const l of this.listeners) l(ready);
    },
  };

  before(async () => {
    addService(server, IngestService, {
      ingestBatch(call, callback) {
        if (metadataValue(call.metadata, 'x-api-key') !== 'secret') {
          callback(toGrpcStatus(new OverloadedError('slow down', 1500)));
          return;
        }
        if (call.request.events.length === 0) {
          callback(toGrpcStatus(new InvalidInputError('no events', 'events')));
          return;
        }
        callback(null, create(IngestBatchResponseSchema, { accepted: call.request.events.length }));
      },
      ingestStream(call, callback) {
        let total = 0;
        call.on('data', (req: { events: unknown[] }) => (total += req.events.length));
        call.on('end', () => callback(null, create(IngestStreamResponseSchema, { accepted: total })));
      },
      putCatalogItems(_call, callback) {
        callback(toGrpcStatus(new InvalidInputError('not served here', 'items')));
      },
    });
    addHealth(server, ['clickwise.v1.IngestService'], readiness);
    addReflection(server, [file_clickwise_v1_ingest]);
    port = await bindServer(server, '127.0.0.1:0');
  });

  after(() => shutdownServer(server, 1000));

  const check = async (service: string): Promise<number[]> => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      // HealthCheckRequest{service} is field 1 (a string); the response's field 1 is the status enum.
      const request = Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]);
      const status = await new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, service === '' ? Buffer.alloc(0) : request, (error, value) => (error ? reject(error) : resolve(value!))),
      );
      return [...status];
    } finally {
      raw.close();
    }
  };

  void it('builds paths and streaming flags from the generated descriptor', () => {
    const def = serviceDefinition(IngestService);
    assert.equal(def.ingestBatch.path, '/clickwise.v1.IngestService/IngestBatch');
    assert.equal(def.ingestBatch.requestStream, false);
    assert.equal(def.ingestStream.path, '/clickwise.v1.IngestService/IngestStream');
    assert.equal(def.ingestStream.requestStream, true);
    assert.equal(def.ingestStream.responseStream, false);
  });

  void it('serves unary and client-streaming calls with protobuf-es messages', async () => {
    const c = createClient(IngestService, `127.0.0.1:${port}`);
    try {
      const response = await c.ingestBatch({ events: [{ eventId: 'a' }, { eventId: 'b' }] }, { metadata: { 'x-api-key': 'secret' } });
      assert.equal(response.accepted, 2);
      const stream = c.ingestStream();
      stream.write({ events: [{ eventId: 'a' }] });
      stream.write({ events: [{ eventId: 'b' }, { eventId: 'c' }] });
      assert.equal((await stream.end()).accepted, 3);
    } finally {
      c.close();
    }
  });

  void it('maps domain errors to status codes with retry metadata', async () => {
    const c = createClient(IngestService, `127.0.0.1:${port}`);
    try {
      await assert.rejects(c.ingestBatch({ events: [] }, { metadata: { 'x-api-key': 'secret' } }), (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
        assert.equal(e.details, 'no events');
        assert.equal(e.metadata.get('x-field')[0], 'events');
        return true;
      });
      await assert.rejects(c.ingestBatch({ events: [{}] }), (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.equal(e.metadata.get('retry-after-ms')[0], '1500');
        return true;
      });
    } finally {
      c.close();
    }
  });

  void it('answers standard health checks', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      // grpc.health.v1.HealthCheckRequest{service:""} is empty bytes; the response field 1 is the status enum.
      const status = await new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (error, value) => (error ? reject(error) : resolve(value!)),
        ),
      );
      assert.deepEqual([...status], [0x08, 0x01]); // SERVING = 1
    } finally {
      raw.close();
    }
  });

  void it('health follows readiness: NOT_SERVING while not ready, for the whole server and the service', async () => {
    readiness.set(false);
    assert.deepEqual(await check(''), [0x08, 0x02]); // NOT_SERVING = 2
    assert.deepEqual(await check('clickwise.v1.IngestService'), [0x08, 0x02]);
    readiness.set(true);
    assert.deepEqual(await check('clickwise.v1.IngestService'), [0x08, 0x01]);
  });

  void it('answers server reflection with the generated files', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = raw.makeBidiStreamRequest('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', (b: Buffer) => b, (b: Buffer) => b);
      // ServerReflectionRequest{list_services: ""} = field 7, empty string.
      const reply = new Promise<Buffer>((resolve, reject) => {
        call.on('data', (b: Buffer) => resolve(b));
        call.on('error', reject);
      });
      call.write(Buffer.from([0x3a, 0x00]));
      const bytes = await reply;
      call.end();
      const text = bytes.toString('latin1');
      assert.ok(text.includes('clickwise.v1.IngestService'), 'lists the ingest service');
      assert.ok(text.includes('grpc.health.v1.Health'), 'lists the health service');
    } finally {
      raw.close();
    }
  });
});
