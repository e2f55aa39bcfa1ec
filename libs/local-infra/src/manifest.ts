import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './local.js';

/** A port a service listens on. */
export interface ManifestPort {
  /** What it serves, e.g. `http`, `grpc`. */
  name: string;
  /** The service's own variable for it, e.g. `HTTP_PORT`. */
  env: string;
  default: number;
  /** The variable that moves it on the local platform (`./clickwise up`), e.g. `INGESTION_HTTP_PORT`. */
  platformEnv: string;
}

/**
 * What runs a service and how to see that it is up, in `services/<name>/service.json`: read by the
 * CLI (`up`, `down`, `status`), the test harness and deploy, so ports and paths are written once.
 */
export interface ServiceManifest {
  name: string;
  description: string;
  /** Where `up` starts it, smaller first. */
  startOrder: number;
  /** The compiled entry point, relative to the service folder. */
  entry: string;
  /** Flags for node before the entry. */
  nodeFlags: string[];
  ports: ManifestPort[];
  /** The name of the port that serves the paths below. */
  httpPort: string;
  paths: { live: string; ready: string; metrics: string };
}

const PORT_NAMES = /^[a-z][a-z0-9-]*$/;
const ENV_NAMES = /^[A-Z][A-Z0-9_]*$/;

/** Checks a parsed service.json; throws naming every problem. */
export function parseManifest(value: unknown, source: string): ServiceManifest {
  const problems: string[] = [];
  const m = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const str = (key: string) => {
    if (typeof m[key] !== 'string' || m[key] === '') problems.push(`${key}: a non-empty string`);
  };
  str('name');
  str('description');
  str('entry');
  str('httpPort');
  if (!Number.isInteger(m.startOrder)) problems.push('startOrder: an integer');
  if (!Array.isArray(m.nodeFlags) || !m.nodeFlags.every((f) => typeof f === 'string' && f.startsWith('--'))) problems.push('nodeFlags: a list of --flags');
  const ports = Array.isArray(m.ports) ? (m.ports as Record<string, unknown>[]) : [];
  if (ports.length === 0) problems.push('ports: at least one port');
  ports.forEach((p, i) => {
    if (typeof p.name !== 'string' || !PORT_NAMES.test(p.name)) problems.push(`ports[${i}].name: lower-case name`);
    if (typeof p.env !== 'string' || !ENV_NAMES.test(p.env)) problems.push(`ports[${i}].env: an env var name`);
    if (typeof p.platformEnv !== 'string' || !ENV_NAMES.test(p.platformEnv)) problems.push(`ports[${i}].platformEnv: an env var name`);
    if (!Number.isInteger(p.default) || (p.default as number) <= 0 || (p.default as number) > 65535) problems.push(`ports[${i}].default: a port number`);
  });
  if (typeof m.httpPort === 'string' && !ports.some((p) => p.name === m.httpPort)) problems.push(`httpPort: "${m.httpPort}" is not one of the ports`);
  const paths = (typeof m.paths === 'object' && m.paths !== null ? m.paths : {}) as Record<string, unknown>;
  for (const key of ['live', 'ready', 'metrics']) {
    const path = paths[key];
    if (typeof path !== 'string' || !path.startsWith('/')) problems.push(`paths.${key}: a path starting with /`);
  }
  if (problems.length > 0) throw new Error(`${source}: invalid service manifest:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return value as ServiceManifest;
}

/** The folder of service `name`. */
export function serviceDir(name: string, root = repoRoot()): string {
  return join(root, 'services', name);
}

/** Reads `services/<name>/service.json`. */
export function readManifest(name: string, root = repoRoot()): ServiceManifest {
  const file = join(serviceDir(name, root), 'service.json');
  return parseManifest(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** Every service's manifest, in start order. */
export function listManifests(root = repoRoot()): ServiceManifest[] {
  const dir = join(root, 'services');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'service.json')))
    .map((name) => readManifest(name, root))
    .sort((a, b) => a.startOrder - b.startOrder || a.name.localeCompare(b.name));
}

/** The port `name` of a manifest. */
export function manifestPort(manifest: ServiceManifest, name: string): ManifestPort {
  const port = manifest.ports.find((p) => p.name === name);
  if (!port) throw new Error(`${manifest.name} has no port "${name}"`);
  return port;
}

/** Ports on the local platform: each port's platformEnv when set, else its default. */
export function platformPorts(manifest: ServiceManifest, env: NodeJS.ProcessEnv = process.env): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of manifest.ports) {
    const raw = env[p.platformEnv];
    const value = raw === undefined || raw === '' ? p.default : Number(raw);
    if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${p.platformEnv} must be a port number, got "${raw}"`);
    out[p.name] = value;
  }
  return out;
}

/** How to run a service: node, its flags and entry, and the env that puts it on `ports`. */
export function serviceCommand(manifest: ServiceManifest, ports: Record<string, number>, root = repoRoot()): { args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {};
  for (const p of manifest.ports) env[p.env] = String(ports[p.name] ?? p.default);
  return { args: [...manifest.nodeFlags, join(serviceDir(manifest.name, root), manifest.entry)], env };
}

/** The URL of one of the manifest's paths on `host`. */
export function serviceUrl(manifest: ServiceManifest, ports: Record<string, number>, path: keyof ServiceManifest['paths'], host = '127.0.0.1'): string {
  const port = ports[manifest.httpPort] ?? manifestPort(manifest, manifest.httpPort).default;
  return `http://${host}:${port}${manifest.paths[path]}`;
}

/**
 * Where a manifest disagrees with the service it describes: `portsOf(env)` parses the service's
 * configuration from `env` and returns its ports by manifest name; `paths` are the paths the
 * service serves. Each port must default to the manifest's default and move with its variable.
 */
export function manifestProblems(
  manifest: ServiceManifest,
  portsOf: (env: Record<string, string>) => Record<string, number>,
  paths: ServiceManifest['paths'],
  baseEnv: Record<string, string> = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' },
): string[] {
  const problems: string[] = [];
  const defaults = portsOf(baseEnv);
  for (const p of manifest.ports) {
    if (defaults[p.name] !== p.default) problems.push(`port ${p.name}: manifest default ${p.default}, service default ${defaults[p.name]}`);
    const moved = 40_000 + manifest.ports.indexOf(p);
    const got = portsOf({ ...baseEnv, [p.env]: String(moved) })[p.name];
    if (got !== moved) problems.push(`port ${p.name}: ${p.env}=${moved} gave ${got}`);
  }
  for (const key of ['live', 'ready', 'metrics'] as const) {
    if (manifest.paths[key] !== paths[key]) problems.push(`paths.${key}: manifest ${manifest.paths[key]}, service ${paths[key]}`);
  }
  return problems;
}
