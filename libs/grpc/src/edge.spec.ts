import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type { ApiKeyRecord } from '@clickwise/api-keys';
import { file_clickwise_v1_prediction, IngestService, PredictionSchema, PredictionService, PredictResponseSchema, PredictBatchResponseSchema, WatchPredictionsResponseSchema } from '@clickwise/contracts';
import { InvalidInputError, NotFoundError, UnauthenticatedError } from '@clickwise/errors';
import { createMetricsRegistry } from '@clickwise/telemetry';
import * as grpc from '@grpc/grpc-js';
import { GrpcEdge, serverCredentials } from './edge.js';
import { createClient } from './service.js';

/** Reads one sample of the edge's histogram from the registry's exposition text. */
async function count(text: Promise<string>, labels: Record<string, string>): Promise<number> {
  let sum = 0;
  for (const m of (await text).matchAll(/^clickwise_grpc_server_duration_seconds_count\{([^}]*)\} (\S+)$/gm)) {
    const set = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => set[k] === v)) sum += Number(m[2]);
  }
  return sum;
}

void describe('libs/grpc GrpcEdge over a real grpc-js server', () => {
  const registry = createMetricsRegistry('edge-spec', { processMetrics: false });
  const record: ApiKeyRecord = { id: 'key_1', name: 'reader', scopes: ['read'], ratePerSecond: 0, createdAtMs: 0 };
  let lookups = 0;
  const keys = {
    authenticate: (secret: string | undefined): Promise<ApiKeyRecord> => {
      lookups++;
      if (secret === 'reader') return Promise.resolve(record);
      if (secret === 'redis-down') return Promise.reject(new Error('connect ECONNREFUSED'));
      return Promise.reject(new UnauthenticatedError(secret ? 'unknown API key' : 'no API key'));
    },
  };
  const readiness = {
    readiness: { ready: true },
    listeners: [] as ((ready: boolean) => void)[],
    onChange(listener: (ready: boolean) => void) {
      this.listeners.push(listener);
    },
  };
  /** Calls to Predict wait on this while it is set (to hold calls in flight). */
  let gate: Promise<void> | undefined;
  let ran = 0;
  const edge = new GrpcEdge({ envPrefix: 'EDGE', host: '127.0.0.1', grpcPort: 0, maxInflight: 2, apiKeyCacheTtlMs: 60_000, keys, readiness, registry, files: [file_clickwise_v1_prediction] });
  edge.serve(PredictionService, {
    predict: async (request, call) => {
      await edge.authorize(call.metadata, ['read']);
      ran++;
      if (gate) await gate;
      if (request.shopperKey === 'nobody') throw new NotFoundError('no features for nobody');
      return create(PredictResponseSchema, { prediction: create(PredictionSchema, { shopperKey: request.shopperKey, purchaseProbability: 0.25 }) });
    },
    predictBatch: async (_request, call) => {
      await edge.authorize(call.metadata, ['watch-all']);
      return create(PredictBatchResponseSchema, {});
    },
    watchPredictions: (call, finish) => {
      if (call.request.shopperKeys.length === 0) {
        finish(new InvalidInputError('shopper_keys is empty', 'shopper_keys'));
        return;
      }
      for (const shopperKey of call.request.shopperKeys) call.write(create(WatchPredictionsResponseSchema, { prediction: { shopperKey } }));
      finish();
    },
  });
  const connect = (port: number) => createClient(PredictionService, `127.0.0.1:${port}`);
  let client: ReturnType<typeof connect>;
  const auth = { metadata: { 'x-api-key': 'reader' } };

  before(async () => {
    const port = await edge.start();
    client = connect(port);
  });
  after(async () => {
    client.close();
    await edge.stop(1000);
  });

  void it('answers a unary call and times it by method and code OK', async () => {
    const response = await client.predict({ shopperKey: 'a' }, auth);
    assert.equal(response.prediction?.purchaseProbability, 0.25);
    assert.equal(await count(registry.metrics(), { method: 'Predict', code: 'OK', service: 'edge-spec' }), 1);
  });

  void it('maps domain errors once: UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, and a dead key store as UNAVAILABLE', async () => {
    const code = (p: Promise<unknown>) => p.then(() => grpc.status.OK, (e: grpc.ServiceError) => e.code);
    assert.equal(await code(client.predict({ shopperKey: 'a' })), grpc.status.UNAUTHENTICATED);
    assert.equal(await code(client.predict({ shopperKey: 'a' }, { metadata: { 'x-api-key': 'wrong' } })), grpc.status.UNAUTHENTICATED);
    assert.equal(await code(client.predictBatch({ requests: [] }, auth)), grpc.status.PERMISSION_DENIED);
    assert.equal(await code(client.predict({ shopperKey: 'nobody' }, auth)), grpc.status.NOT_FOUND);
    await assert.rejects(client.predict({ shopperKey: 'a' }, { metadata: { 'x-api-key': 'redis-down' } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.UNAVAILABLE);
      assert.match(e.details, /Redis \(API keys\) did not answer/);
      assert.equal(e.metadata.get('retry-after-ms')[0], '1000');
      return true;
    });
    const text = registry.metrics();
    assert.equal(await count(text, { method: 'Predict', code: 'UNAUTHENTICATED' }), 2);
    assert.equal(await count(registry.metrics(), { method: 'PredictBatch', code: 'PERMISSION_DENIED' }), 1);
    assert.equal(await count(registry.metrics(), { method: 'Predict', code: 'NOT_FOUND' }), 1);
    assert.equal(await count(registry.metrics(), { method: 'Predict', code: 'UNAVAILABLE' }), 1);
  });

  void it('reuses the last key for its TTL instead of asking the key store on every call', async () => {
    await client.predict({ shopperKey: 'a' }, auth);
    const before = lookups;
    await Promise.all([1, 2, 3].map(() => client.predict({ shopperKey: 'a' }, auth)));
    assert.equal(lookups, before);
  });

  void it('refuses past maxInflight with RESOURCE_EXHAUSTED and retry-after-ms; the admitted calls finish', async () => {
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const admitted = [client.predict({ shopperKey: 'a' }, auth), client.predict({ shopperKey: 'b' }, auth)];
    while (edge.inflight < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await assert.rejects(client.predict({ shopperKey: 'c' }, auth), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(e.details, /2 calls are in progress \(EDGE_MAX_INFLIGHT 2\)/);
      assert.equal(e.metadata.get('retry-after-ms')[0], '50');
      return true;
    });
    gate = undefined;
    open();
    assert.deepEqual((await Promise.all(admitted)).map((r) => r.prediction?.shopperKey), ['a', 'b']);
    assert.equal(edge.inflight, 0);
    assert.equal(await count(registry.metrics(), { method: 'Predict', code: 'RESOURCE_EXHAUSTED' }), 1);
  });

  void it('does no work for a call whose deadline has passed', async () => {
    const before = ran;
    await assert.rejects(client.predict({ shopperKey: 'a' }, { ...auth, timeoutMs: 0 }), (e: grpc.ServiceError) => e.code === grpc.status.DEADLINE_EXCEEDED);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ran, before);
  });

  void it('server streams: finish() ends the stream (OK) or maps its error, and is timed like a unary call', async () => {
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.watchPredictions({ shopperKeys: ['x', 'y'] }, auth);
      stream.on('data', (m: { prediction?: { shopperKey: string } }) => got.push(m.prediction!.shopperKey));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    assert.deepEqual(got, ['x', 'y']);
    const refused = await new Promise<grpc.ServiceError>((resolve) => {
      const stream = client.watchPredictions({}, auth);
      stream.on('data', () => undefined);
      stream.on('error', resolve);
    });
    assert.equal(refused.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(refused.metadata.get('x-field')[0], 'shopper_keys');
    assert.equal(await count(registry.metrics(), { method: 'WatchPredictions', code: 'OK' }), 1);
    assert.equal(await count(registry.metrics(), { method: 'WatchPredictions', code: 'INVALID_ARGUMENT' }), 1);
  });

  void it('health follows readiness for the server and each served service', async () => {
    const raw = new grpc.Client(`127.0.0.1:${edge.port}`, grpc.credentials.createInsecure());
    const check = (service: string) =>
      new Promise<number[]>((resolve, reject) =>
        raw.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]),
          (error, value) => (error ? reject(error) : resolve([...value!])),
        ),
      );
    try {
      assert.deepEqual(await check(PredictionService.typeName), [0x08, 0x01]);
      readiness.readiness.ready = false;
      for (const l of readiness.listeners) l(false);
      assert.deepEqual(await check(PredictionService.typeName), [0x08, 0x02]);
      readiness.readiness.ready = true;
      for (const l of readiness.listeners) l(true);
      assert.deepEqual(await check(PredictionService.typeName), [0x08, 0x01]);
    } finally {
      raw.close();
    }
  });

  void it('refuses a service with client-streaming methods or a missing handler, and TLS settings that do not go together', () => {
    const other = new GrpcEdge({ envPrefix: 'X', host: '127.0.0.1', grpcPort: 0, maxInflight: 1, apiKeyCacheTtlMs: 0, keys, readiness, registry: createMetricsRegistry('x', { processMetrics: false }), files: [] });
    assert.throws(() => other.serve(IngestService, { ingestBatch: () => Promise.resolve({}) } as never), /IngestService\/IngestStream: GrpcEdge serves unary and server-streaming methods/);
    assert.throws(() => other.serve(PredictionService, {} as never), /PredictionService\/Predict has no handler/);
    assert.throws(() => serverCredentials({ tlsClientCaFile: 'ca.pem' }, 'EDGE'), /EDGE_TLS_CLIENT_CA needs EDGE_TLS_CERT and EDGE_TLS_KEY/);
    assert.throws(() => serverCredentials({ tlsCertFile: 'cert.pem' }, 'EDGE'), (e: InvalidInputError) => e.field === 'EDGE_TLS_KEY');
    assert.ok(serverCredentials({}, 'EDGE'));
  });
});
