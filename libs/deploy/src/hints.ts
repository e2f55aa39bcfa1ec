import type { ServiceManifest } from '@clickwise/local-infra';

/**
 * How a service scales: `grpc`/`http` on CPU (an HPA), `consumer` on CPU too but never above the
 * partitions of the topic it consumes (consumer lag is the signal to watch, ADR 0080), `singleton`
 * one replica and no HPA (e.g. a trainer).
 */
export type DeployKind = 'grpc' | 'http' | 'consumer' | 'singleton';

/** A backing store a service talks to; each opens one egress NetworkPolicy rule and a pod label. */
export type Dependency = 'kafka' | 'redis';

/** CPU and memory of one container, Kubernetes quantities. */
export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/**
 * The optional `deploy` block of services/<name>/service.json (ADR 0080): what the generator cannot
 * learn from the manifest's ports and paths or from the config schema. Every field has a default,
 * so a manifest without the block still generates.
 */
export interface DeployHints {
  kind: DeployKind;
  /** The topic a consumer's group reads (its partitions cap the replicas). Required for `consumer`. */
  consumes?: string;
  replicas: { min: number; max: number };
  /** Manifest port names that clients outside the platform call (storefronts, gRPC clients). */
  publicPorts: string[];
  uses: Dependency[];
  /**
   * Services whose HTTP port (health, /metrics) this one reads, e.g. the console's scrape targets:
   * its pod is labelled an ops client (their NetworkPolicies admit it) and its egress opens to them.
   */
  scrapes: string[];
  resources: Resources;
  /**
   * How much longer than SHUTDOWN_GRACE_MS the service may take to stop (ms): main.ts's
   * `forceExitAfterMs` minus SHUTDOWN_GRACE_MS (ingestion: 15000, gRPC drain then producer flush).
   */
  drainExtraMs: number;
  /** Writable directories (emptyDir volumes; the root filesystem is read-only). */
  writableDirs: string[];
  /** The compiled module that defines the config class (defineConfig), relative to the service folder. */
  configModule: string;
  /**
   * Values that differ from the config's defaults in every deployment (Kubernetes and compose),
   * e.g. `MODEL_CACHE_DIR` on a writable dir; each must be a variable the service reads.
   */
  env: Record<string, string>;
}

const KINDS: readonly DeployKind[] = ['grpc', 'http', 'consumer', 'singleton'];
const DEPENDENCIES: readonly Dependency[] = ['kafka', 'redis'];
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi)?$/;

const DEFAULT_RESOURCES: Resources = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
};

/**
 * The deploy hints of a manifest, defaults filled in; throws naming every problem. `partitionsOf`
 * gives a catalogue topic's partitions (undefined: no such topic).
 */
export function deployHints(manifest: ServiceManifest, partitionsOf: (topic: string) => number | undefined): DeployHints {
  const raw = (manifest as ServiceManifest & { deploy?: unknown }).deploy ?? {};
  const problems: string[] = [];
  const h = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : (problems.push('deploy: an object'), {})) as Record<string, unknown>;
  const known = new Set(['kind', 'consumes', 'replicas', 'publicPorts', 'uses', 'scrapes', 'resources', 'drainExtraMs', 'writableDirs', 'configModule', 'env']);
  for (const key of Object.keys(h)) if (!known.has(key)) problems.push(`deploy.${key}: unknown hint (known: ${[...known].join(', ')})`);

  const portNames = manifest.ports.map((p) => p.name);
  const kind = (h.kind ?? (portNames.includes('grpc') ? 'grpc' : 'singleton')) as DeployKind;
  if (!KINDS.includes(kind)) problems.push(`deploy.kind: one of ${KINDS.join(', ')}, got ${JSON.stringify(h.kind)}`);

  let consumes: string | undefined;
  let partitions: number | undefined;
  if (h.consumes !== undefined) {
    if (typeof h.consumes !== 'string') problems.push('deploy.consumes: a topic name');
    else {
      consumes = h.consumes;
      partitions = partitionsOf(consumes);
      if (partitions === undefined) problems.push(`deploy.consumes: "${consumes}" is not in the topic catalogue (libs/contracts/src/topics.ts)`);
    }
  } else if (kind === 'consumer') problems.push('deploy.consumes: required for kind consumer (its partitions cap the replicas)');

  const defaultReplicas = kind === 'singleton' ? { min: 1, max: 1 } : { min: 2, max: partitions ?? 6 };
  const r = (h.replicas ?? defaultReplicas) as Record<string, unknown>;
  const replicas = { min: r.min ?? defaultReplicas.min, max: r.max ?? defaultReplicas.max } as { min: number; max: number };
  if (!Number.isInteger(replicas.min) || replicas.min < 1) problems.push('deploy.replicas.min: an integer ≥ 1');
  if (!Number.isInteger(replicas.max) || replicas.max < replicas.min) problems.push('deploy.replicas.max: an integer ≥ min');
  if (kind === 'singleton' && replicas.max !== 1) problems.push('deploy.replicas: a singleton runs exactly one replica');
  if (partitions !== undefined && replicas.max > partitions) {
    problems.push(`deploy.replicas.max: ${replicas.max} is above the ${partitions} partitions of ${consumes} (a replica beyond them would sit idle)`);
  }

  const publicPorts = (h.publicPorts ?? []) as string[];
  if (!Array.isArray(publicPorts) || !publicPorts.every((p) => portNames.includes(p))) {
    problems.push(`deploy.publicPorts: names among the manifest's ports (${portNames.join(', ')})`);
  }
  const uses = (h.uses ?? ['kafka', 'redis']) as Dependency[];
  if (!Array.isArray(uses) || !uses.every((u) => DEPENDENCIES.includes(u))) problems.push(`deploy.uses: a list of ${DEPENDENCIES.join(', ')}`);

  const scrapes = (h.scrapes ?? []) as string[];
  if (!Array.isArray(scrapes) || !scrapes.every((n) => typeof n === 'string' && n !== manifest.name)) problems.push('deploy.scrapes: a list of other services\' names');

  const res = (h.resources ?? {}) as { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  const resources: Resources = {
    requests: { ...DEFAULT_RESOURCES.requests, ...(res.requests ?? {}) },
    limits: { ...DEFAULT_RESOURCES.limits, ...(res.limits ?? {}) },
  };
  for (const [group, values] of Object.entries(resources)) {
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      if (name !== 'cpu' && name !== 'memory') problems.push(`deploy.resources.${group}.${name}: only cpu and memory`);
      else if (typeof value !== 'string' || !QUANTITY.test(value)) problems.push(`deploy.resources.${group}.${name}: a quantity such as 250m or 512Mi`);
    }
  }

  const drainExtraMs = h.drainExtraMs ?? 0;
  if (!Number.isInteger(drainExtraMs) || (drainExtraMs as number) < 0) problems.push('deploy.drainExtraMs: an integer ≥ 0 (ms)');
  const writableDirs = (h.writableDirs ?? ['/tmp']) as string[];
  if (!Array.isArray(writableDirs) || !writableDirs.every((d) => typeof d === 'string' && d.startsWith('/'))) problems.push('deploy.writableDirs: absolute paths');
  const configModule = h.configModule ?? 'dist/config.js';
  if (typeof configModule !== 'string' || !configModule.endsWith('.js')) problems.push('deploy.configModule: a compiled .js path');

  const env = (h.env ?? {}) as Record<string, string>;
  if (typeof env !== 'object' || Array.isArray(env) || !Object.entries(env).every(([k, v]) => /^[A-Z][A-Z0-9_]*$/.test(k) && typeof v === 'string')) {
    problems.push('deploy.env: an object of VARIABLE: "string value"');
  }

  if (problems.length > 0) throw new Error(`services/${manifest.name}/service.json: invalid deploy hints:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return {
    kind,
    ...(consumes === undefined ? {} : { consumes }),
    replicas,
    publicPorts,
    uses,
    scrapes,
    resources,
    drainExtraMs: drainExtraMs as number,
    writableDirs,
    configModule: configModule as string,
    env,
  };
}
