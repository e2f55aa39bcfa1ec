import type { K8sObject } from './k8s.js';

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; keyword: string; params?: unknown }[] | null };

/** kubernetes-models' schema module name of an object: IoK8sApi + group + version + kind. */
export function schemaName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  const g = (group ?? '').replace(/\.k8s\.io$/, '').split('.').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  const v = (version ?? '').charAt(0).toUpperCase() + (version ?? '').slice(1);
  return `IoK8sApi${g}${v}${kind}`;
}

function describeError(keyword: string, params: Record<string, unknown> = {}): string {
  if (keyword === 'type') return `must be ${String(params.type)}`;
  if (keyword === 'required') return `missing required ${String(params.missingProperty)}`;
  if (keyword === 'enum') return `must be one of ${JSON.stringify(params.allowedValues)}`;
  return `${keyword} ${JSON.stringify(params)}`;
}

/** Wraps `value` so every own property the validator reads is recorded in `seen` (as a JSON pointer). */
function tracked(value: unknown, path: string, seen: Set<string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof key === 'string' && Object.hasOwn(target, key)) {
        seen.add(`${path}/${key}`);
        return tracked(v, `${path}/${key}`, seen);
      }
      return v;
    },
  });
}

function paths(value: unknown, path: string, out: string[]): string[] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(`${path}/${k}`);
      paths(v, `${path}/${k}`, out);
    }
  }
  return out;
}

/**
 * Validates a Kubernetes object against the API schema kubernetes-models ships (offline), and
 * reports fields the schema does not know (the compiled validators accept unknown fields, so every
 * property the validator never reads is one: a typo such as `periodSecond`). Empty: valid.
 */
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const name = schemaName(object.apiVersion, object.kind);
  let validate: Validator;
  try {
    // KEDA's schemas ship in @kubernetes-models/keda, which does not export its _schemas folder.
    const url = object.apiVersion.startsWith('keda.sh/')
      ? new URL(`_schemas/ComGithubKedacoreKedaV2ApisKedaV1alpha1${object.kind}.js`, import.meta.resolve('@kubernetes-models/keda/package.json')).href
      : `kubernetes-models/_schemas/${name}`;
    ({ validate } = (await import(url)) as { validate: Validator });
  } catch {
    return [`${object.apiVersion} ${object.kind}: no schema in kubernetes-models (${name})`];
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  if (!validate(tracked(object, '', seen))) {
    for (const e of validate.errors ?? []) problems.push(`${e.instancePath || '/'}: ${e.message ?? describeError(e.keyword, e.params as Record<string, unknown> | undefined)}`);
  }
  const unknown = paths(object, '', []).filter((p) => !seen.has(p) && !problems.some((q) => q.startsWith(p)));
  // Report the outermost unknown field only.
  for (const p of unknown) if (!unknown.some((q) => q !== p && p.startsWith(`${q}/`))) problems.push(`${p}: unknown field`);
  return problems.map((p) => `${object.kind}/${object.metadata.name} ${p}`);
}

/** Strimzi kinds: their CRD schemas are in no registry, so these are checked by strimziProblems. */
export const STRIMZI_KINDS = new Set(['Kafka', 'KafkaNodePool', 'KafkaTopic']);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const LISTENER_TYPES = ['internal', 'route', 'loadbalancer', 'nodeport', 'ingress', 'cluster-ip'];
const STORAGE_TYPES = ['ephemeral', 'persistent-claim', 'jbod'];

function storageProblems(where: string, storage: unknown, problems: string[]): void {
  const s = obj(storage);
  if (!STORAGE_TYPES.includes(s.type as string)) {
    problems.push(`${where}.type: one of ${STORAGE_TYPES.join(', ')}`);
    return;
  }
  if (s.type === 'persistent-claim' && typeof s.size !== 'string') problems.push(`${where}.size: required for persistent-claim`);
  if (s.type === 'jbod') {
    const volumes = Array.isArray(s.volumes) ? s.volumes : [];
    if (volumes.length === 0) problems.push(`${where}.volumes: at least one`);
    volumes.forEach((v, i) => {
      if (!Number.isInteger(obj(v).id)) problems.push(`${where}.volumes[${i}].id: an integer`);
      if (obj(v).type === 'jbod') problems.push(`${where}.volumes[${i}].type: not jbod`);
      else storageProblems(`${where}.volumes[${i}]`, v, problems);
    });
  }
}

/**
 * The Strimzi resources of one build, against the fields Strimzi's API reference (v1beta2) marks
 * required and the KRaft + node-pool rules: Kafka spec.kafka.listeners (name, port, type, tls),
 * the node-pools and kraft annotations, no ZooKeeper, a topic operator for the KafkaTopics;
 * KafkaNodePool strimzi.io/cluster, replicas, roles (controller/broker), storage; at least one
 * controller and one broker pool; KafkaTopic strimzi.io/cluster, partitions ≥ 1, replicas ≤ brokers.
 */
export function strimziProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const kafkas = objects.filter((o) => o.kind === 'Kafka');
  const pools = objects.filter((o) => o.kind === 'KafkaNodePool');
  const topics = objects.filter((o) => o.kind === 'KafkaTopic');
  for (const o of [...kafkas, ...pools, ...topics]) {
    if (o.apiVersion !== 'kafka.strimzi.io/v1beta2') problems.push(`${o.kind}/${o.metadata.name}: apiVersion kafka.strimzi.io/v1beta2`);
  }
  if (kafkas.length === 0 && (pools.length > 0 || topics.length > 0)) problems.push('KafkaNodePool/KafkaTopic without a Kafka');
  const clusters = new Set(kafkas.map((k) => k.metadata.name));
  for (const k of kafkas) {
    const where = `Kafka/${k.metadata.name}`;
    const annotations = obj(k.metadata.annotations);
    if (annotations['strimzi.io/node-pools'] !== 'enabled') problems.push(`${where}: annotation strimzi.io/node-pools: enabled`);
    if (annotations['strimzi.io/kraft'] !== 'enabled') problems.push(`${where}: annotation strimzi.io/kraft: enabled`);
    const spec = obj(k.spec);
    if ('zookeeper' in spec) problems.push(`${where}: spec.zookeeper (KRaft has none)`);
    const listeners = Array.isArray(obj(spec.kafka).listeners) ? (obj(spec.kafka).listeners as unknown[]) : [];
    if (listeners.length === 0) problems.push(`${where}: spec.kafka.listeners required`);
    listeners.forEach((l, i) => {
      const x = obj(l);
      if (typeof x.name !== 'string' || !/^[a-z0-9]{1,11}$/.test(x.name)) problems.push(`${where}: listeners[${i}].name lower-case letters and digits, ≤ 11`);
      if (!Number.isInteger(x.port) || (x.port as number) < 9092) problems.push(`${where}: listeners[${i}].port an integer ≥ 9092`);
      if (!LISTENER_TYPES.includes(x.type as string)) problems.push(`${where}: listeners[${i}].type one of ${LISTENER_TYPES.join(', ')}`);
      if (typeof x.tls !== 'boolean') problems.push(`${where}: listeners[${i}].tls required (boolean)`);
    });
    if (topics.length > 0 && !('topicOperator' in obj(spec.entityOperator))) problems.push(`${where}: spec.entityOperator.topicOperator (KafkaTopics need it)`);
  }
  let brokers = 0;
  let controllers = 0;
  for (const p of pools) {
    const where = `KafkaNodePool/${p.metadata.name}`;
    const cluster = obj(p.metadata.labels)['strimzi.io/cluster'];
    if (typeof cluster !== 'string' || !clusters.has(cluster)) problems.push(`${where}: label strimzi.io/cluster naming a Kafka of this build`);
    const spec = obj(p.spec);
    if (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 0) problems.push(`${where}: spec.replicas an integer ≥ 0`);
    const roles = Array.isArray(spec.roles) ? (spec.roles as unknown[]) : [];
    if (roles.length === 0 || !roles.every((r) => r === 'controller' || r === 'broker')) problems.push(`${where}: spec.roles of controller, broker`);
    if (roles.includes('broker')) brokers += (spec.replicas as number) || 0;
    if (roles.includes('controller')) controllers += (spec.replicas as number) || 0;
    storageProblems(`${where}: spec.storage`, spec.storage, problems);
  }
  if (kafkas.length > 0 && (brokers === 0 || controllers === 0)) problems.push(`node pools: ${controllers} controllers and ${brokers} brokers; KRaft needs at least one of each`);
  if (controllers > 0 && controllers % 2 === 0) problems.push(`node pools: ${controllers} controllers; a KRaft quorum wants an odd number`);
  for (const t of topics) {
    const where = `KafkaTopic/${t.metadata.name}`;
    const cluster = obj(t.metadata.labels)['strimzi.io/cluster'];
    if (typeof cluster !== 'string' || !clusters.has(cluster)) problems.push(`${where}: label strimzi.io/cluster naming a Kafka of this build`);
    const spec = obj(t.spec);
    if (!Number.isInteger(spec.partitions) || (spec.partitions as number) < 1) problems.push(`${where}: spec.partitions an integer ≥ 1`);
    if (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 1 || (spec.replicas as number) > Math.max(brokers, 1)) {
      problems.push(`${where}: spec.replicas between 1 and the ${brokers} brokers`);
    }
    for (const [key, value] of Object.entries(obj(spec.config))) if (!['string', 'number', 'boolean'].includes(typeof value)) problems.push(`${where}: config ${key} a scalar`);
  }
  return problems;
}
