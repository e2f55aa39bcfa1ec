export { LocalKafka, LocalRedis, repoRoot, runScript, type ScriptResult } from './local.js';
export {
  listManifests,
  manifestProblems,
  manifestPort,
  parseManifest,
  platformPorts,
  readManifest,
  serviceCommand,
  serviceDir,
  serviceUrl,
  type ManifestPort,
  type ServiceManifest,
} from './manifest.js';
export { freePort } from './ports.js';
