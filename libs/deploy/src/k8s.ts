import type { TopicSpec } from '@clickwise/contracts';
import { platformVars } from './env.js';
import { graceSeconds, NAMES, partitionsOf, PRESTOP_SECONDS, RUN_AS, SECRET_VARS, type DeployService } from './model.js';

/** A Kubernetes object as plain JSON. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string } & Record<string, unknown> } & Record<string, unknown>;

function labels(s: DeployService): Record<string, string> {
  return { 'app.kubernetes.io/name': s.manifest.name, 'app.kubernetes.io/part-of': NAMES.partOf, 'app.kubernetes.io/component': s.hints.kind };
}

const selector = (s: DeployService) => ({ 'app.kubernetes.io/name': s.manifest.name });

/** The platform ConfigMap: the variables every service shares (libs/config serviceConfig), with their defaults. */
export function platformConfigMap(): K8sObject {
  const data: Record<string, string> = {};
  for (const v of platformVars) {
    if (SECRET_VARS[v.name]) continue;
    if (v.name === 'KAFKA_BROKERS') data[v.name] = NAMES.kafkaBootstrap;
    else if (v.default !== undefined) data[v.name] = v.default;
  }
  const optional = platformVars.filter((v) => v.optional && v.default === undefined).map((v) => v.name);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: NAMES.platformConfig,
      labels: { 'app.kubernetes.io/part-of': NAMES.partOf, 'clickwise.dev/config': 'platform' },
      annotations: { [NAMES.optionalEnvAnnotation]: optional.join(',') },
    },
    data,
  };
}

/** Every Clickwise pod is denied all traffic but what its own policy allows. */
export function defaultDenyPolicy(): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'clickwise-default-deny', labels: { 'app.kubernetes.io/part-of': NAMES.partOf } },
    spec: { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': NAMES.partOf } }, policyTypes: ['Ingress', 'Egress'] },
  };
}

function configMap(s: DeployService): K8sObject {
  const data: Record<string, string> = {};
  for (const v of s.ownVars) if (!SECRET_VARS[v.name] && v.default !== undefined) data[v.name] = v.default;
  const optional = s.ownVars.filter((v) => v.optional && v.default === undefined).map((v) => v.name);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${s.manifest.name}-config`,
      labels: { ...labels(s), 'clickwise.dev/config': 'service' },
      annotations: { [NAMES.optionalEnvAnnotation]: optional.join(',') },
    },
    data,
  };
}

function deployment(s: DeployService): K8sObject {
  const m = s.manifest;
  const podLabels: Record<string, string> = { ...labels(s) };
  if (s.hints.uses.includes('kafka')) podLabels[NAMES.kafkaClientLabel] = 'true';
  if (s.hints.uses.includes('redis')) podLabels[NAMES.redisClientLabel] = 'true';
  // A pod that scrapes others is an ops client: their NetworkPolicies admit it on their HTTP port.
  if ((s.scrapeTargets ?? []).length > 0) podLabels[NAMES.opsClientLabel] = 'true';
  const secretEnv = s.env.vars
    .filter((v) => SECRET_VARS[v.name])
    .map((v) => ({ name: v.name, valueFrom: { secretKeyRef: { name: SECRET_VARS[v.name]?.secret, key: SECRET_VARS[v.name]?.key } } }));
  const volumes = s.hints.writableDirs.map((dir, i) => ({ name: `writable-${i}`, emptyDir: { sizeLimit: '256Mi' }, dir }));
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: m.httpPort },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: m.name, labels: labels(s), annotations: { 'clickwise.dev/force-exit-ms': String(s.forceExitMs) } },
    spec: {
      replicas: s.hints.replicas.min,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector(s) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: podLabels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(m.ports.find((p) => p.name === m.httpPort)?.default), 'prometheus.io/path': m.paths.metrics } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: graceSeconds(s.forceExitMs),
          securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: m.name,
              image: `clickwise/${m.name}:${s.version}`,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', ...m.nodeFlags, m.entry],
              workingDir: '/app',
              ports: m.ports.map((p) => ({ name: p.name, containerPort: p.default, protocol: 'TCP' })),
              envFrom: [{ configMapRef: { name: NAMES.platformConfig } }, { configMapRef: { name: `${m.name}-config` } }],
              env: secretEnv,
              resources: s.hints.resources,
              // Startup: up to 60 s for the parts to start (Kafka, Redis, catch-up) before liveness applies.
              startupProbe: probe(m.paths.live, 2, 30),
              livenessProbe: probe(m.paths.live, 10, 3),
              readinessProbe: probe(m.paths.ready, 5, 2),
              lifecycle: { preStop: { sleep: { seconds: PRESTOP_SECONDS } } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: v.dir })),
            },
          ],
          volumes: volumes.map(({ name, emptyDir }) => ({ name, emptyDir })),
        },
      },
    },
  };
}

function service(s: DeployService): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.manifest.name, labels: labels(s) },
    spec: {
      type: 'ClusterIP',
      selector: selector(s),
      ports: s.manifest.ports.map((p) => ({ name: p.name, port: p.default, targetPort: p.name, protocol: 'TCP' })),
    },
  };
}

function pdb(s: DeployService): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: s.manifest.name, labels: labels(s) },
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: selector(s) } },
  };
}

function hpa(s: DeployService): K8sObject | undefined {
  if (s.hints.kind === 'singleton' || s.hints.replicas.max <= s.hints.replicas.min) return undefined;
  const consumes = s.hints.consumes;
  const partitions = consumes === undefined ? undefined : partitionsOf(consumes);
  const annotations: Record<string, string> =
    consumes !== undefined
      ? {
          'clickwise.dev/scaling':
            `CPU as a floor; scale on the consumer lag of group ${s.manifest.name} on ${consumes} (ADR 0080). ` +
            `maxReplicas never above its ${partitions} partitions.`,
        }
      : {};
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: s.manifest.name, labels: labels(s), annotations },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.manifest.name },
      minReplicas: s.hints.replicas.min,
      maxReplicas: s.hints.replicas.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      // A consumer's scale-down moves partitions (a rebalance): do it rarely.
      behavior: { scaleDown: { stabilizationWindowSeconds: s.hints.kind === 'consumer' ? 600 : 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] } },
    },
  };
}

function networkPolicy(s: DeployService): K8sObject {
  const m = s.manifest;
  const ingress: Record<string, unknown>[] = [];
  if (s.hints.publicPorts.length > 0) ingress.push({ ports: s.hints.publicPorts.map((port) => ({ port, protocol: 'TCP' })) });
  if (!s.hints.publicPorts.includes(m.httpPort)) {
    // Health, metrics and ops endpoints: from pods marked as ops clients and from the monitoring namespace.
    ingress.push({
      from: [{ podSelector: { matchLabels: { [NAMES.opsClientLabel]: 'true' } } }, { namespaceSelector: { matchLabels: { [NAMES.monitoringNamespaceLabel]: 'true' } } }],
      ports: [{ port: m.httpPort, protocol: 'TCP' }],
    });
  }
  const egress: Record<string, unknown>[] = [
    {
      to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
  ];
  if (s.hints.uses.includes('kafka')) {
    egress.push({ to: [{ podSelector: { matchLabels: { 'strimzi.io/cluster': NAMES.kafkaCluster, 'strimzi.io/kind': 'Kafka' } } }], ports: [{ port: 9092, protocol: 'TCP' }] });
  }
  if (s.hints.uses.includes('redis')) {
    egress.push({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/part-of': NAMES.partOf } } }], ports: [{ port: 6379, protocol: 'TCP' }] });
  }
  // The services it scrapes, on their HTTP port (named ports resolve on the destination pods).
  const scraped = new Map<string, string[]>();
  for (const t of s.scrapeTargets ?? []) scraped.set(t.port, [...(scraped.get(t.port) ?? []), t.service]);
  for (const [port, services] of scraped) {
    egress.push({ to: services.map((name) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': name } } })), ports: [{ port, protocol: 'TCP' }] });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: m.name, labels: labels(s) },
    spec: { podSelector: { matchLabels: selector(s) }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
  };
}

/** Every object of one service, in apply order. */
export function serviceObjects(s: DeployService): K8sObject[] {
  return [configMap(s), deployment(s), service(s), pdb(s), hpa(s), networkPolicy(s)].filter((o): o is K8sObject => o !== undefined);
}

/** A KafkaTopic's resource name: the topic name as a DNS label (dots are allowed, but Strimzi advises against them). */
export function kafkaTopicName(topic: string): string {
  return topic.replaceAll('.', '-').replaceAll('_', '-').toLowerCase();
}

/** A Strimzi KafkaTopic per catalogue topic: same name, partitions and configs. Replicas 1 here; production raises them. */
export function kafkaTopics(topics: readonly TopicSpec[]): K8sObject[] {
  return topics.map((t) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    metadata: {
      name: kafkaTopicName(t.name),
      labels: { 'strimzi.io/cluster': NAMES.kafkaCluster, 'app.kubernetes.io/part-of': NAMES.partOf },
      annotations: { 'clickwise.dev/description': t.description },
    },
    spec: { topicName: t.name, partitions: t.partitions, replicas: 1, config: { ...t.config } },
  }));
}

/**
 * Lag-based scaling for the consumers (the optional component deploy/k8s/components/keda-lag-scaling,
 * for clusters with KEDA): a ScaledObject per consumer on its group's lag on the topic it consumes,
 * CPU as a second trigger, never above the topic's partitions; the component deletes their HPAs.
 */
export function kedaScaledObjects(services: readonly DeployService[]): K8sObject[] {
  return services
    .filter((s) => s.hints.kind === 'consumer' && s.hints.consumes !== undefined)
    .map((s) => {
      const groupEnv = `${s.manifest.name.toUpperCase().replaceAll('-', '_')}_GROUP_ID`;
      const group = s.env.vars.some((v) => v.name === groupEnv) ? { consumerGroupFromEnv: groupEnv } : { consumerGroup: s.manifest.name };
      return {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: s.manifest.name, labels: labels(s) },
        spec: {
          scaleTargetRef: { name: s.manifest.name },
          minReplicaCount: s.hints.replicas.min,
          maxReplicaCount: Math.min(s.hints.replicas.max, partitionsOf(s.hints.consumes ?? '') ?? 1),
          pollingInterval: 15,
          cooldownPeriod: 300,
          advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] } } } },
          triggers: [
            {
              type: 'kafka',
              metadata: {
                bootstrapServersFromEnv: 'KAFKA_BROKERS',
                ...group,
                topic: s.hints.consumes,
                lagThreshold: '1000',
                // Never a replica that would get no partition.
                allowIdleConsumers: 'false',
              },
            },
            { type: 'cpu', metricType: 'Utilization', metadata: { value: '70' } },
          ],
        },
      };
    });
}

/** The component's kustomization: the ScaledObjects, the consumers' HPAs deleted, KEDA let through to Kafka. */
export function kedaComponent(services: readonly DeployService[]): Record<string, unknown> {
  const consumers = services.filter((s) => s.hints.kind === 'consumer');
  return {
    apiVersion: 'kustomize.config.k8s.io/v1alpha1',
    kind: 'Component',
    resources: ['scaledobjects.yaml'],
    patches: [
      ...consumers.map((s) => ({
        patch: `$patch: delete\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ${s.manifest.name}\n`,
      })),
      {
        // KEDA's operator (namespace keda) reads the lag from Kafka; the Strimzi listener admits it.
        target: { group: 'kafka.strimzi.io', kind: 'Kafka', name: NAMES.kafkaCluster },
        patch: JSON.stringify([{ op: 'add', path: '/spec/kafka/listeners/0/networkPolicyPeers/-', value: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } } } }]),
      },
    ],
  };
}
