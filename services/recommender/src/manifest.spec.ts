import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestProblems, readManifest } from '@clickwise/local-infra';
import { SERVICE_PATHS } from '@clickwise/service';
import { RecommenderConfig } from './config.js';

void test('service.json agrees with the config (ports, their variables and defaults) and the kit paths', () => {
  const problems = manifestProblems(readManifest('recommender'), (env) => {
    const config = RecommenderConfig.load(env);
    return { http: config.httpPort, grpc: config.grpcPort };
  }, SERVICE_PATHS);
  assert.deepEqual(problems, []);
});
