import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestProblems, readManifest } from '@clickwise/local-infra';
import { SERVICE_PATHS } from '@clickwise/service';
import { TrainerConfig } from './config.js';

void test('service.json agrees with the config (ports, their variables and defaults) and the kit paths', () => {
  assert.deepEqual(manifestProblems(readManifest('trainer'), (env) => ({ http: TrainerConfig.load(env).httpPort }), SERVICE_PATHS), []);
});
