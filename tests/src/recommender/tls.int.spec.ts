import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RecommenderService } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { testInfra } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { RecommenderScope } from './harness.js';

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

/** TLS and mutual TLS on the gRPC port (RECOMMENDER_TLS_CERT/KEY, RECOMMENDER_TLS_CLIENT_CA), as prediction's. */
void describe('recommender: TLS and mutual TLS', () => {
  let scope: RecommenderScope;
  let dir: string;
  let certs: ReturnType<typeof certificates>;
  let service: ServiceProcess | undefined;
  let key: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clickwise-recs-tls-'));
    certs = certificates(dir);
    scope = new RecommenderScope('recs-tls', testInfra().kafkaBrokers, testInfra().redisUrl);
    await scope.createTopics();
    key = await scope.createKey(['read']);
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const recommend = (credentials: grpc.ChannelCredentials) => {
    const client = createClient(RecommenderService, `127.0.0.1:${service!.ports.grpc}`, credentials);
    return client.recommend({ shopperKey: 'someone' }, { metadata: { 'x-api-key': key }, timeoutMs: 3000 }).finally(() => client.close());
  };

  void it('TLS: a client trusting the CA is answered; a plaintext client is not', async () => {
    service = await scope.startRecommender({ RECOMMENDER_TLS_CERT: certs.serverCert, RECOMMENDER_TLS_KEY: certs.serverKey });
    const answer = await recommend(grpc.credentials.createSsl(readFileSync(certs.ca)));
    assert.match(answer.recommendation!.recommendationId, /^r1\./);
    await assert.rejects(recommend(grpc.credentials.createInsecure()), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
  });

  void it('mutual TLS: only a client with a certificate from the client CA is answered', async () => {
    await service?.stop();
    service = await scope.startRecommender({ RECOMMENDER_TLS_CERT: certs.serverCert, RECOMMENDER_TLS_KEY: certs.serverKey, RECOMMENDER_TLS_CLIENT_CA: certs.ca });
    const answer = await recommend(grpc.credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert)));
    assert.match(answer.recommendation!.recommendationId, /^r1\./);
    await assert.rejects(recommend(grpc.credentials.createSsl(readFileSync(certs.ca))), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
  });
});
