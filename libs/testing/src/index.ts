export { startTestInfra, testInfra, KAFKA_IMAGE, REDIS_IMAGE, type InfraProvider, type TestInfra } from './infra.js';
export { LocalKafka, LocalRedis, repoRoot, runScript, type ScriptResult } from './local.js';
export { freePort, uniqueName, waitFor, type WaitOptions } from './wait.js';
