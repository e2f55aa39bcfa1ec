export { startTestInfra, testInfra, KAFKA_IMAGE, REDIS_IMAGE, type InfraProvider, type TestInfra } from './infra.js';
export { freePort, LocalKafka, LocalRedis, repoRoot, runScript, type ScriptResult } from '@clickwise/local-infra';
export { uniqueName, waitFor, type WaitOptions } from './wait.js';
