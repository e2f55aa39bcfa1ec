import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allTopics, type TopicSpec } from '@clickwise/contracts';
import { listManifests, type ServiceManifest } from '@clickwise/local-infra';
import { platformVars, serviceEnv, type EnvVar, type ServiceEnv } from './env.js';
import { deployHints, type DeployHints } from './hints.js';

/** Names the generated objects share (overlays and the docs refer to them). */
export const NAMES = {
  kafkaCluster: 'clickwise',
  /** Strimzi's bootstrap Service of the cluster above. */
  kafkaBootstrap: 'clickwise-kafka-bootstrap:9092',
  platformConfig: 'clickwise-platform',
  redisSecret: 'clickwise-redis',
  redisSecretKey: 'url',
  partOf: 'clickwise',
  kafkaClientLabel: 'clickwise.dev/kafka-client',
  redisClientLabel: 'clickwise.dev/redis-client',
  opsClientLabel: 'clickwise.dev/ops-client',
  monitoringNamespaceLabel: 'clickwise.dev/monitoring',
  optionalEnvAnnotation: 'clickwise.dev/optional-env',
} as const;

/** Variables that never go into a ConfigMap: where each comes from instead. */
export const SECRET_VARS: Readonly<Record<string, { secret: string; key: string }>> = {
  // May carry a password (redis://:secret@host:6379).
  REDIS_URL: { secret: NAMES.redisSecret, key: NAMES.redisSecretKey },
};

/** The user the images run as (deploy/images/Dockerfile) and the pods enforce. */
export const RUN_AS = 10001;
/** Seconds the preStop hook waits so endpoints stop sending before SIGTERM. */
export const PRESTOP_SECONDS = 5;
/** Seconds beyond the service's own force-exit time before the kubelet kills it. */
export const GRACE_MARGIN_SECONDS = 5;

/** One service as the generator sees it. */
export interface DeployService {
  manifest: ServiceManifest;
  hints: DeployHints;
  env: ServiceEnv;
  /** The package name, for `pnpm deploy --filter`. */
  packageName: string;
  version: string;
  /** Variables from the platform ConfigMap (libs/config serviceConfig, same defaults) vs its own. */
  platformVarNames: string[];
  ownVars: EnvVar[];
  /** SHUTDOWN_GRACE_MS default plus drainExtraMs: when the service force-exits after SIGTERM. */
  forceExitMs: number;
  /** The services of `hints.scrapes`, each with the name of its HTTP port (an egress rule each). */
  scrapeTargets?: { service: string; port: string }[];
}

/** Everything generation reads: manifests, config schemas, the topic catalogue. */
export interface DeployModel {
  root: string;
  services: DeployService[];
  topics: readonly TopicSpec[];
}

export function partitionsOf(topic: string): number | undefined {
  return allTopics.find((t) => t.name === topic)?.partitions;
}

/** Milliseconds in a ConfigMap-ready variable list; throws when absent. */
export function numberVar(vars: readonly EnvVar[], name: string, service: string): number {
  const value = Number(vars.find((v) => v.name === name)?.default);
  if (!Number.isFinite(value)) throw new Error(`${service}: ${name} has no numeric default`);
  return value;
}

/** Reads every service (manifest, hints, config schema) under `root`. */
export async function loadModel(root: string): Promise<DeployModel> {
  const services: DeployService[] = [];
  for (const manifest of listManifests(root)) {
    const hints = deployHints(manifest, partitionsOf);
    const env = await serviceEnv(root, manifest, hints.configModule);
    const pkg = JSON.parse(readFileSync(join(root, 'services', manifest.name, 'package.json'), 'utf8')) as { name: string; version: string };
    const reads = new Set(env.vars.map((v) => v.name));
    for (const name of Object.keys(hints.env)) {
      if (!reads.has(name)) throw new Error(`services/${manifest.name}/service.json: deploy.env.${name} is not a variable its config reads`);
      if (SECRET_VARS[name]) throw new Error(`services/${manifest.name}/service.json: deploy.env.${name} is a secret; it comes from the Secret ${SECRET_VARS[name]?.secret}`);
    }
    // A variable the hints set is the service's own (its ConfigMap carries it), with the hint's value.
    const vars = env.vars.map((v) => {
      const value = hints.env[v.name];
      return value === undefined ? v : { ...v, default: value, optional: false };
    });
    const shared = new Map(platformVars.map((v) => [v.name, v]));
    const platformVarNames: string[] = [];
    const ownVars: EnvVar[] = [];
    for (const v of vars) {
      const p = shared.get(v.name);
      if (p && p.default === v.default && p.optional === v.optional && hints.env[v.name] === undefined) platformVarNames.push(v.name);
      else ownVars.push(v);
    }
    for (const port of manifest.ports) {
      if (!reads.has(port.env)) throw new Error(`${manifest.name}: port ${port.name}'s variable ${port.env} is not read by its config schema`);
    }
    const forceExitMs = numberVar(vars, 'SHUTDOWN_GRACE_MS', manifest.name) + hints.drainExtraMs;
    services.push({ manifest, hints, env: { ...env, vars }, packageName: pkg.name, version: pkg.version, platformVarNames, ownVars, forceExitMs });
  }
  for (const s of services) {
    s.scrapeTargets = s.hints.scrapes.map((name) => {
      const target = services.find((t) => t.manifest.name === name);
      if (!target) throw new Error(`services/${s.manifest.name}/service.json: deploy.scrapes names "${name}", which is not a service (services/*/service.json)`);
      return { service: name, port: target.manifest.httpPort };
    });
  }
  return { root, services, topics: allTopics };
}

/** terminationGracePeriodSeconds for a force-exit time: preStop wait + force-exit + margin. */
export function graceSeconds(forceExitMs: number): number {
  return PRESTOP_SECONDS + Math.ceil(forceExitMs / 1000) + GRACE_MARGIN_SECONDS;
}
