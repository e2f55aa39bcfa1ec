import { bold, info, parseCommandArgs, printJson, type Command } from '../command.js';
import { infraStatus, printInfraStatus, startInfra, stopInfra } from '../infra.js';
import { availableServices, consoleScrapeTargets, serviceOrigin, serviceStatus, services, startService, stopService } from '../services.js';
import { settings } from '../settings.js';
import { shopperRecommendations, waitForRecommender } from '../recommendations.js';
import { busiestShopper, describeChampions, shopperPrediction, upReadKey, describeTrainer, landedReplay, recordLandedReplay, shopperFeatures, trainerSummary, upBackfillKey, upOpsKey, waitForChampions, waitForFeatures, type TrainerSummary } from '../platform-replay.js';
import { describeSeed, publishReplayedItems } from './catalog.js';
import { replayCommand } from './replay.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const upCommand: Command = {
  name: 'up',
  summary: 'run the whole platform on real Kafka and Redis and stream a real clickstream through it',
  help: `Usage: clickwise up [--no-replay] [--replay-again] [--file FILE] [--json]

Starts Kafka and Redis (deploy/local), creates the topics, starts every service in the background
(each services/*/service.json, in start order: ingestion, features, trainer; logs in
.clickwise/logs), then replays the RetailRocket week (../shared/data/retailrocket-week) through
the HTTP API with a backfill key, publishes the week's items to the catalogue (PUT
/v1/catalog/items with a catalog key: those catalog.items.v1 does not hold yet, available, with
their category), waits until the features service has applied every event, and
shows what happened: the replay summary, the topics, the busiest shopper's live features and the
trainer's state, the busiest shopper's recommendations with their reasons (once the recommender
has indexed every event), then the status page's address with an ops key to open it (kept in
.clickwise/up-ops.key). Returns with everything left running; stop it with \`clickwise down\`.

Kafka and Redis keep their data in .clickwise/ across \`down\` and \`up\` (Redis with an
append-only file). A replay that fully landed is not sent again while Kafka still holds it (it
would add nothing within the 24 h dedupe window, and double the history after it);
--replay-again sends it anyway (deterministic ids: deduplicated, accepted 0).`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { 'no-replay': { type: 'boolean' }, 'replay-again': { type: 'boolean' }, file: { type: 'string' } });
    const upStartedMs = Date.now();
    await startInfra();
    const infra = { kafkaBrokers: `127.0.0.1:${settings.kafkaPort}`, redisUrl: `redis://127.0.0.1:${settings.redisPort}` };
    // The status page scrapes the services where `up` runs them.
    process.env.CONSOLE_SCRAPE_TARGETS ??= consoleScrapeTargets();
    for (const spec of availableServices()) await startService(spec, infra);

    let replay: { code: number; file: string; skipped?: string } | undefined;
    let catalogue: Awaited<ReturnType<typeof publishReplayedItems>> | { error: string } | undefined;
    let features: { lag: number; waitedMs: number } | undefined;
    let example: { shopper: string; snapshot: Awaited<ReturnType<typeof shopperFeatures>> } | undefined;
    const file = values.file ?? resolve(settings.root, '..', 'shared', 'data', 'retailrocket-week', 'events.tsv');
    const ingestion = availableServices().find((s) => s.name === 'ingestion');
    if (!values['no-replay'] && ingestion && existsSync(file)) {
      const landed = values['replay-again'] ? undefined : await landedReplay(infra.kafkaBrokers, file);
      if (landed) {
        info(`replay skipped: ${file} fully landed at ${landed.landedAt} and is still on Kafka (--replay-again sends it again)`);
        replay = { code: 0, file, skipped: `landed at ${landed.landedAt}` };
      } else {
        const key = await upBackfillKey(infra.redisUrl);
        const endpoint = new URL(ingestion.readyUrl).origin;
        info(bold(`replaying ${file} through ${endpoint}/v1/events`));
        const code = await replayCommand.run([file, '--format', 'retailrocket', '--endpoint', endpoint, '--key', key]);
        replay = { code, file };
        if (code === 0) await recordLandedReplay(infra.kafkaBrokers, file);
      }
      // The week's items into the catalogue (catalog.items.v1), only those it has never heard of (ADR 0098).
      catalogue = await publishReplayedItems(file, new URL(ingestion.readyUrl).origin, infra.kafkaBrokers).catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
      const featureService = availableServices().find((s) => s.name === 'features');
      if (featureService) {
        features = await waitForFeatures(infra.kafkaBrokers, `${new URL(featureService.readyUrl).origin}/status`);
        const shopper = busiestShopper(file);
        if (shopper) example = { shopper, snapshot: await shopperFeatures(infra.redisUrl, shopper) };
      }
    } else if (!values['no-replay']) {
      info(`no replay: ${ingestion ? `${file} not found` : 'the ingestion service is not built'}`);
    }
    const trainerService = availableServices().find((s) => s.name === 'trainer');
    const trainerStatusUrl = trainerService && `${new URL(trainerService.readyUrl).origin}/status`;
    // The trainer trains by itself once the replayed events settle (no champion yet): a fresh `up`
    // ends with a champion in the registry (or says why not).
    const trainer: TrainerSummary | undefined = !trainerStatusUrl
      ? undefined
      : replay
        ? await waitForChampions(trainerStatusUrl, { sinceMs: upStartedMs })
        : await trainerSummary(trainerStatusUrl);
    const champions = trainer && trainer.jobs.length > 0 ? await describeChampions(infra.kafkaBrokers).catch((e: unknown) => [`models: could not read the registry (${e instanceof Error ? e.message : String(e)})`]) : [];

    const predictionService = availableServices().find((s) => s.name === 'prediction');
    const grpcPort = predictionService?.ports.grpc;
    const prediction =
      example && grpcPort && champions.length > 0
        ? await shopperPrediction(infra.redisUrl, `127.0.0.1:${grpcPort}`, example.shopper).catch((e: unknown) => [
            `live prediction: the prediction service did not answer (${e instanceof Error ? e.message : String(e)})`,
          ])
        : [];

    // Last: the busiest shopper's recommendations, once the recommender has indexed every event.
    const recommenderService = availableServices().find((s) => s.name === 'recommender');
    const recommenderPort = recommenderService?.ports.grpc;
    let recommender: { lag: number; waitedMs: number } | undefined;
    let recommendations: string[] = [];
    if (example && recommenderPort) {
      recommender = await waitForRecommender(infra.kafkaBrokers);
      recommendations = await shopperRecommendations(`127.0.0.1:${recommenderPort}`, await upReadKey(infra.redisUrl), example.shopper).catch((e: unknown) => [
        `recommendations: the recommender did not answer (${e instanceof Error ? e.message : String(e)})`,
      ]);
    }
    const consoleUrl = availableServices().some((s) => s.name === 'console') ? `${serviceOrigin('console')}/` : undefined;
    const statusPage = consoleUrl && { url: consoleUrl, open: `${consoleUrl}?key=${encodeURIComponent(await upOpsKey(infra.redisUrl))}` };

    const status = await infraStatus();
    const svc = await serviceStatus();
    if (values.json) {
      printJson({ infra: status, services: svc, replay, catalogue, features, trainer, champions, prediction, recommender, recommendations, statusPage, example: example && { shopper: example.shopper, ...example.snapshot } });
    } else {
      info(bold('Clickwise is up.'));
      printInfraStatus(status);
      for (const s of svc) console.log(`● ${s.name} ${s.state} pid=${s.pid ?? '-'} ready=${s.ready}`);
      if (features) {
        console.log(
          features.lag === 0
            ? `features: every event applied (caught up ${(features.waitedMs / 1000).toFixed(1)} s after the replay finished)`
            : `features: ${features.lag} events not yet applied after ${(features.waitedMs / 1000).toFixed(0)} s`,
        );
      }
      if (catalogue) console.log(describeSeed(catalogue));
      if (trainer) console.log(describeTrainer(trainer));
      for (const line of champions) console.log(line);
      if (example) {
        const shown = example.snapshot.features.filter((f) => f.entity === 'shopper' && typeof f.value === 'number' && f.value !== 0).slice(0, 14);
        console.log(`live features of the busiest shopper, ${example.shopper} (snapshot ${example.snapshot.snapshotVersion}):`);
        for (const f of shown) console.log(`    ${f.name.padEnd(40)} ${typeof f.value === 'number' ? Number(f.value.toFixed(4)) : JSON.stringify(f.value)}`);
      }
      for (const line of prediction) console.log(line);
      if (recommender) {
        console.log(
          recommender.lag === 0
            ? `recommender: every event indexed (caught up ${(recommender.waitedMs / 1000).toFixed(1)} s after the features)`
            : `recommender: ${recommender.lag} events not yet indexed after ${(recommender.waitedMs / 1000).toFixed(0)} s`,
        );
      }
      for (const line of recommendations) console.log(line);
      if (recommenderPort) console.log(`Recommender: 127.0.0.1:${recommenderPort} (./clickwise recommend SHOPPER, ./clickwise similar ITEM)`);
      if (statusPage) console.log(`status page: ${statusPage.url}  (open once with the ops key: ${statusPage.open})`);
      console.log(`Kafka: 127.0.0.1:${settings.kafkaPort}   Redis: redis://127.0.0.1:${settings.redisPort}   logs: .clickwise/logs/`);
      console.log('Stop it with: ./clickwise down');
    }
    return replay && replay.code !== 0 ? replay.code : 0;
  },
};

export const downCommand: Command = {
  name: 'down',
  summary: 'stop every service, then Kafka and Redis',
  help: `Usage: clickwise down

Stops the services (SIGTERM, so they flush), then Kafka and Redis. Data stays in .clickwise/.`,
  async run(argv) {
    parseCommandArgs(argv, {});
    for (const spec of [...services].reverse()) await stopService(spec.name);
    await stopInfra();
    return 0;
  },
};

export const statusCommand: Command = {
  name: 'status',
  summary: 'what runs: Kafka, Redis, topics and services',
  help: `Usage: clickwise status [--json]

Exits 0 when Kafka, Redis, every topic and every built service are up; 3 otherwise.`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {});
    const status = await infraStatus();
    const svc = await serviceStatus();
    if (values.json) printJson({ infra: status, services: svc });
    else {
      printInfraStatus(status);
      for (const s of svc) console.log(`${s.state === 'running' ? '●' : '○'} ${s.name} ${s.state} pid=${s.pid ?? '-'} ready=${s.ready}`);
    }
    const ok =
      status.kafka.state === 'running' &&
      status.redis.state === 'running' &&
      status.missingTopics.length === 0 &&
      svc.every((s) => s.ready);
    return ok ? 0 : 3;
  },
};
