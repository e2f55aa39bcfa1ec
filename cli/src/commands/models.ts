import { topics } from '@clickwise/contracts';
import { KafkaPlatform } from '@clickwise/kafka';
import { ModelRegistry, sha256Hex, type Champion, type ModelVersion } from '@clickwise/model-registry';
import { userInfo } from 'node:os';
import { bold, dim, info, parseCommandArgs, printJson, type Command } from '../command.js';
import { settings } from '../settings.js';
import { serviceOrigin } from '../services.js';

const help = `Usage: clickwise models <list|show|promote|rollback> [options]

The model registry (ADR 0056, 0057): versions and each model's champion pointer on the compacted
models.published.v1, artifacts in chunks on models.artifacts.v1.

  models list [MODEL] [--json]
      Every version (of every model, or of MODEL), oldest first; * marks the champion.
  models show MODEL [VERSION] [--verify] [--json]
      One version in full (default: the champion), with the champion's history and, when the
      local prediction service serves it, its live ROC-AUC and ECE (per-click predictions joined
      with the purchases that followed).
      --verify   read the artifact from Kafka and check its SHA-256
  models promote MODEL VERSION [--reason TEXT] [--json]
      Makes VERSION the champion whatever its metrics (the operator's call; the current champion
      goes first in the history). Serving replicas swap to it without a restart.
  models rollback MODEL [--json]
      The previous champion becomes the champion again.

Kafka: KAFKA_BROKERS, else 127.0.0.1:${settings.kafkaPort}; KAFKA_TOPIC_PREFIX as the services use it.
With --json the last line is one JSON object.`;

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '-');
const when = (ms: number) => (ms > 0 ? iso(ms).slice(0, 19).replace('T', ' ') : '-');
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
const metricsText = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${num(v)}`)
    .join(' ') || '-';
const mib = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [bold(line(header)), ...rows.map(line)].join('\n');
}

function describeVersion(v: ModelVersion, champion: Champion | undefined): string {
  const lines: [string, string][] = [
    ['model', v.model],
    ['version', `${v.version}${champion?.version === v.version ? '  (champion)' : ''}`],
    ['created', iso(v.createdAtMs)],
    ['metrics', metricsText(v.metrics)],
    ['hold-out', `${iso(v.holdoutFromMs)} → ${iso(v.holdoutToMs)}`],
    ['compared to', v.comparedToVersion ? `${v.comparedToVersion} (${v.wonWhenPublished ? 'won' : 'lost'})` : v.wonWhenPublished ? '- (first champion)' : '-'],
    ['feature definitions', v.featureDefinitionsVersion || '(none)'],
    ['backend', v.backend],
    ['artifact', `${v.artifact.uri}  ${mib(v.artifact.sizeBytes)} in ${v.artifact.chunks} chunks, format ${v.artifact.format}`],
    ['sha256', v.artifact.sha256],
  ];
  if (champion) {
    lines.push(
      ['champion', `${champion.version} since ${iso(champion.promotedAtMs)} by ${champion.promotedBy}: ${champion.reason || '-'}`],
      ['earlier champions', champion.previousChampions.join(', ') || '(none)'],
    );
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, val]) => `${dim(k.padEnd(width))}  ${val}`).join('\n');
}

async function withRegistry<T>(run: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const brokers = (process.env.KAFKA_BROKERS || `127.0.0.1:${settings.kafkaPort}`).split(',');
  const kafka = KafkaPlatform.create({ brokers, clientId: 'clickwise-cli-models', topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '', logLevel: 'ERROR' });
  try {
    if (!(await kafka.admin.probe(5000))) throw new Error(`cannot reach Kafka at ${brokers.join(',')}; is the platform up? (./clickwise up)`);
    const present = new Set((await kafka.admin.describeTopics([topics.modelsPublished, topics.modelArtifacts])).map((t) => t.name));
    for (const t of [kafka.topics.modelsPublished, kafka.topics.modelArtifacts]) {
      if (!present.has(t.name)) throw new Error(`topic ${t.name} does not exist; ./clickwise infra start creates it`);
    }
    const registry = new ModelRegistry(kafka, { groupPrefix: 'clickwise-cli', by: `cli:${userInfo().username}` });
    await registry.start();
    try {
      return await run(registry);
    } finally {
      await registry.stop();
    }
  } finally {
    await kafka.close();
  }
}

function requireVersion(registry: ModelRegistry, model: string, version: string | undefined): ModelVersion {
  if (version === undefined) {
    const champion = registry.champion(model);
    if (champion) return registry.get(model, champion.version) ?? champion;
    const count = registry.list(model).length;
    throw new Error(count === 0 ? `no model ${model} in the registry (clickwise models list)` : `${model} has ${count} versions but no champion: name one (clickwise models list ${model})`);
  }
  const found = registry.get(model, version);
  if (!found) throw new Error(`${model}/${version} is not in the registry (clickwise models list ${model})`);
  return found;
}

/**
 * The prediction service's live quality of one version (ADR 0079): its /metrics gauges, when the
 * local platform's prediction service answers; null otherwise.
 */
async function liveQuality(model: string, version: string): Promise<Record<string, number> | null> {
  let text: string;
  try {
    const response = await fetch(`${serviceOrigin('prediction')}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return null;
    text = await response.text();
  } catch {
    return null;
  }
  const figures: Record<string, number> = {};
  const label = `model_version="${model}/${version}"`;
  for (const m of text.matchAll(/^clickwise_prediction_live_([a-z_]+)\{([^}]*)\} (\S+)$/gm)) {
    if (!m[2]!.includes(label)) continue;
    const name = m[1] === 'joined' ? `joined_${/label="1"/.test(m[2]!) ? 'positive' : 'negative'}` : m[1]!;
    figures[name] = Number(m[3]);
  }
  return Object.keys(figures).length > 0 ? figures : null;
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'the model registry: list, show, promote and roll back model versions',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { reason: { type: 'string' }, verify: { type: 'boolean' } });
    const [action, model, version, ...extra] = positionals;
    const usage = (message: string) => {
      console.error(`${message}\n\n${help}`);
      return 2;
    };
    switch (action ?? '') {
      case 'list': {
        if (version !== undefined) return usage('models list takes at most one model name');
        return withRegistry((registry) => {
          const names = model === undefined ? registry.models() : [model];
          const listed = names.map((name) => ({ model: name, champion: registry.champion(name)?.version ?? null, versions: registry.list(name) }));
          if (values.json) {
            printJson({ models: listed });
          } else if (listed.every((m) => m.versions.length === 0)) {
            info(model === undefined ? 'no models in the registry yet (the trainer publishes them)' : `no model ${model} in the registry`);
          } else {
            const rows = listed.flatMap((m) =>
              m.versions.map((v) => [
                v.model,
                v.version,
                v.version === m.champion ? '*' : '',
                when(v.createdAtMs),
                v.backend,
                v.featureDefinitionsVersion || '-',
                mib(v.artifact.sizeBytes),
                metricsText(v.metrics),
              ]),
            );
            console.log(table(['model', 'version', 'champion', 'created (UTC)', 'backend', 'features', 'size', 'metrics'], rows));
          }
          return Promise.resolve(0);
        });
      }
      case 'show': {
        if (!model || extra.length > 0) return usage('models show needs MODEL [VERSION]');
        return withRegistry(async (registry) => {
          const record = requireVersion(registry, model, version);
          const champion = registry.champion(model);
          let verified: boolean | undefined;
          if (values.verify) {
            const bytes = await registry.readArtifact(record);
            verified = sha256Hex(bytes) === record.artifact.sha256;
          }
          const live = await liveQuality(record.model, record.version);
          if (values.json) {
            printJson({ ...record, isChampion: champion?.version === record.version, championPointer: champion ?? null, ...(verified === undefined ? {} : { verified }), liveQuality: live });
          } else {
            console.log(describeVersion(record, champion));
            if (verified !== undefined) console.log(`${dim('verified')}  artifact read from Kafka, ${mib(record.artifact.sizeBytes)}, SHA-256 matches`);
            if (live) {
              const joined = (live.joined_positive ?? 0) + (live.joined_negative ?? 0);
              const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
              console.log(`${dim('live quality')}  ROC-AUC ${f(live.roc_auc)}, ECE ${f(live.ece)}, positive rate ${f(live.positive_rate)}, mean probability ${f(live.mean_probability)} over ${joined} per-click predictions joined with later purchases (prediction service)`);
            }
          }
          return 0;
        });
      }
      case 'promote': {
        if (!model || !version || extra.length > 0) return usage('models promote needs MODEL VERSION');
        return withRegistry(async (registry) => {
          const before = registry.champion(model)?.version ?? null;
          const champion = await registry.promote(model, version, { reason: values.reason ?? 'forced by the operator (clickwise models promote)' });
          if (values.json) printJson({ champion, previous: before });
          else console.log(before === champion.version ? `${model}: ${champion.version} is already the champion` : `${model}: champion ${before ?? '(none)'} → ${bold(champion.version)}`);
          return 0;
        });
      }
      case 'rollback': {
        if (!model || version !== undefined) return usage('models rollback needs MODEL');
        return withRegistry(async (registry) => {
          const before = registry.champion(model)?.version ?? null;
          const champion = await registry.rollback(model);
          if (values.json) printJson({ champion, previous: before });
          else console.log(`${model}: champion ${before ?? '(none)'} → ${bold(champion.version)} (rolled back; earlier champions: ${champion.previousChampions.join(', ') || 'none'})`);
          return 0;
        });
      }
      default:
        return usage(action ? `unknown models action "${action}"` : 'models needs an action');
    }
  },
};
