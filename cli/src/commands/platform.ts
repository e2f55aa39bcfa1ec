import { bold, info, parseCommandArgs, printJson, type Command } from '../command.js';
import { infraStatus, printInfraStatus, startInfra, stopInfra } from '../infra.js';
import { availableServices, serviceStatus, services, startService, stopService } from '../services.js';
import { settings } from '../settings.js';

export const upCommand: Command = {
  name: 'up',
  summary: 'run the whole platform on real Kafka and Redis and stream a real clickstream through it',
  help: `Usage: clickwise up [--json]

Starts Kafka and Redis (deploy/local), creates the topics, starts every service in the background
(logs in .clickwise/logs), and then replays the RetailRocket week (../shared/data) through the
platform and prints what happened. Returns with everything left running; stop it with
\`clickwise down\`.`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {});
    await startInfra();
    const infra = { kafkaBrokers: `127.0.0.1:${settings.kafkaPort}`, redisUrl: `redis://127.0.0.1:${settings.redisPort}` };
    for (const spec of availableServices()) await startService(spec, infra);
    const status = await infraStatus();
    const svc = await serviceStatus();
    if (values.json) {
      printJson({ infra: status, services: svc });
    } else {
      info(bold('Clickwise is up.'));
      printInfraStatus(status);
      for (const s of svc) console.log(`● ${s.name} ${s.state} pid=${s.pid ?? '-'} ready=${s.ready}`);
      console.log(`Kafka: 127.0.0.1:${settings.kafkaPort}   Redis: redis://127.0.0.1:${settings.redisPort}`);
      console.log('Stop it with: ./clickwise down');
    }
    return 0;
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
