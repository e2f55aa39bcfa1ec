import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestProblems, readManifest } from '@clickwise/local-infra';
import { SERVICE_PATHS } from '@clickwise/service';
import { FeaturesConfig } from './config.js';

void test('service.json agrees with the config (ports, their variables and defaults) and the kit paths', () => {
  assert.deepEqual(manifestProblems(readManifest('features'), (env) => ({ http: FeaturesConfig.load(env).httpPort }), SERVICE_PATHS), []);
});
