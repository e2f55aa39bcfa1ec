import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PredictionService } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { testInfra } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { PredictionScope, propensityDocument } from './harness.js';

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

/** TLS and mutual TLS on the gRPC port (PREDICTION_TLS_CERT/KEY, PREDICTION_TLS_CLIENT_CA). */
void describe('prediction: TLS and mutual TLS', () => {
  let scope: PredictionScope;
  let dir: string;
  let certs: ReturnType<typeof certificates>;
  let service: ServiceProcess | undefined;
  let key: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clickwise-tls-'));
    certs = certificates(dir);
    scope = new PredictionScope('tls', testInfra().kafkaBrokers, testInfra().redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
    await scope.publishModel(propensityDocument());
    key = await scope.createKey(['read']);
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const predict = (credentials: grpc.ChannelCredentials) => {
    const client = createClient(PredictionService, `127.0.0.1:${service!.ports.grpc}`, credentials);
    return client.predict({ shopperKey: 'someone' }, { metadata: { 'x-api-key': key }, timeoutMs: 3000 }).finally(() => client.close());
  };
  const base = { PREDICTION_SCORE_UNKNOWN: 'true', PREDICTION_PER_CLICK: 'false' };

  void it('TLS: a client trusting the CA is answered; a plaintext client is not', async () => {
    service = await scope.startPrediction({ ...base, PREDICTION_TLS_CERT: certs.serverCert, PREDICTION_TLS_KEY: certs.serverKey });
    const answer = await predict(grpc.credentials.createSsl(readFileSync(certs.ca)));
    assert.ok(answer.prediction!.purchaseProbability > 0);
    await assert.rejects(predict(grpc.credentials.createInsecure()), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
  });

  void it('mutual TLS: only a client with a certificate from the client CA is answered', async () => {
    await service?.stop();
    service = await scope.startPrediction({ ...base, PREDICTION_TLS_CERT: certs.serverCert, PREDICTION_TLS_KEY: certs.serverKey, PREDICTION_TLS_CLIENT_CA: certs.ca });
    const answer = await predict(grpc.credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert)));
    assert.ok(answer.prediction!.purchaseProbability > 0);
    await assert.rejects(predict(grpc.credentials.createSsl(readFileSync(certs.ca))), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
  });
});
