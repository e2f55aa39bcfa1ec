import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PredictionService, RecommenderService } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import { testInfra } from '@clickwise/testing';
import { PredictionScope, propensityDocument } from '../prediction/harness.js';
import { RecommenderScope } from '../recommender/harness.js';
import type { ServiceProcess } from '../support/service-process.js';

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
function certificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=clickwise-test-ca');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '1', ...(who === 'server' ? ['-extfile', 'san.ext'] : []));
  }
  const at = (f: string) => join(dir, f);
  return { ca: at('ca.crt'), serverCert: at('server.crt'), serverKey: at('server.key'), clientCert: at('client.crt'), clientKey: at('client.key') };
}

/** One service's side of the TLS suite. */
interface TlsTarget {
  /** The service (suite name) and the prefix of its TLS variables (`<PREFIX>_TLS_CERT`, …). */
  service: string;
  envPrefix: string;
  /** Creates what the service needs (topics, a model, …) before it first starts. */
  prepare(): Promise<void>;
  /** Starts the service with these extra variables. */
  start(env: Record<string, string>): Promise<ServiceProcess>;
  /** One authenticated call with these credentials; resolves when it was answered well, rejects with the call's error. */
  call(service: ServiceProcess, credentials: grpc.ChannelCredentials): Promise<void>;
  dispose(): Promise<void>;
}

/** TLS and mutual TLS on a service's gRPC port (the shared edge's serverCredentials), the same suite for every service. */
function tlsSuite(target: TlsTarget): void {
  void describe(`${target.service}: TLS and mutual TLS`, () => {
    let dir: string;
    let certs: ReturnType<typeof certificates>;
    let service: ServiceProcess | undefined;
    const env = (name: string) => `${target.envPrefix}_TLS_${name}`;
    const unavailable = (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `clickwise-${target.service}-tls-`));
      certs = certificates(dir);
      await target.prepare();
    });
    after(async () => {
      await service?.stop();
      await target.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    void it('TLS: a client trusting the CA is answered; a plaintext client is not', async () => {
      service = await target.start({ [env('CERT')]: certs.serverCert, [env('KEY')]: certs.serverKey });
      await target.call(service, grpc.credentials.createSsl(readFileSync(certs.ca)));
      await assert.rejects(target.call(service, grpc.credentials.createInsecure()), unavailable);
    });

    void it('mutual TLS: only a client with a certificate from the client CA is answered', async () => {
      await service?.stop();
      service = await target.start({ [env('CERT')]: certs.serverCert, [env('KEY')]: certs.serverKey, [env('CLIENT_CA')]: certs.ca });
      await target.call(service, grpc.credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert)));
      await assert.rejects(target.call(service, grpc.credentials.createSsl(readFileSync(certs.ca))), unavailable);
    });
  });
}

/** Answers one call with the given credentials, then closes its client. */
async function once<T>(client: { close(): void }, call: () => Promise<T>, check: (answer: T) => void): Promise<void> {
  try {
    check(await call());
  } finally {
    client.close();
  }
}

let prediction: PredictionScope | undefined;
let predictionKey = '';
tlsSuite({
  service: 'prediction',
  envPrefix: 'PREDICTION',
  async prepare() {
    prediction = new PredictionScope('tls', testInfra().kafkaBrokers, testInfra().redisUrl);
    await prediction.createTopics();
    await prediction.startRegistry();
    await prediction.publishModel(propensityDocument());
    predictionKey = await prediction.createKey(['read']);
  },
  start: (env) => prediction!.startPrediction({ PREDICTION_SCORE_UNKNOWN: 'true', PREDICTION_PER_CLICK: 'false', ...env }),
  call(service, credentials) {
    const client = createClient(PredictionService, `127.0.0.1:${service.ports.grpc}`, credentials);
    return once(client, () => client.predict({ shopperKey: 'someone' }, { metadata: { 'x-api-key': predictionKey }, timeoutMs: 3000 }), (a) => assert.ok(a.prediction!.purchaseProbability > 0));
  },
  dispose: () => prediction?.dispose() ?? Promise.resolve(),
});

let recommender: RecommenderScope | undefined;
let recommenderKey = '';
tlsSuite({
  service: 'recommender',
  envPrefix: 'RECOMMENDER',
  async prepare() {
    recommender = new RecommenderScope('recs-tls', testInfra().kafkaBrokers, testInfra().redisUrl);
    await recommender.createTopics();
    recommenderKey = await recommender.createKey(['read']);
  },
  start: (env) => recommender!.startRecommender(env),
  call(service, credentials) {
    const client = createClient(RecommenderService, `127.0.0.1:${service.ports.grpc}`, credentials);
    return once(client, () => client.recommend({ shopperKey: 'someone' }, { metadata: { 'x-api-key': recommenderKey }, timeoutMs: 3000 }), (a) => assert.match(a.recommendation!.recommendationId, /^r1\./));
  },
  dispose: () => recommender?.dispose() ?? Promise.resolve(),
});
