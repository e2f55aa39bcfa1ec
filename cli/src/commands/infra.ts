import { parseCommandArgs, printJson, type Command } from '../command.js';
import { infraStatus, printInfraStatus, startInfra, stopInfra } from '../infra.js';

export const infraCommand: Command = {
  name: 'infra',
  summary: 'start, stop or inspect the local Kafka and Redis',
  help: `Usage: clickwise infra start|stop|status [--json]

  start    fetch Kafka 4.3.1 (Maven Central, cached, checksums verified) and install redis-server if
           needed; start both if they are not running; create the catalogue's missing topics
  stop     stop both (Kafka by its pid, cleanly)
  status   say whether each runs (and whether one crashed), and list the topics with record counts;
           exits 3 when something is not running

Environment: KAFKA_PORT (9092), REDIS_PORT (6379), KAFKA_DIR / REDIS_DIR (state folders; default
.clickwise/kafka-<port>, .clickwise/redis-<port>), CLICKWISE_CACHE (~/.cache/clickwise).`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {});
    const action = positionals[0];
    switch (action) {
      case 'start':
        await startInfra();
        if (values.json) printJson(await infraStatus());
        return 0;
      case 'stop':
        await stopInfra();
        return 0;
      case 'status': {
        const status = await infraStatus();
        if (values.json) printJson(status);
        else printInfraStatus(status);
        const healthy = status.kafka.state === 'running' && status.redis.state === 'running' && status.missingTopics.length === 0;
        return healthy ? 0 : 3;
      }
      case undefined:
      default:
        console.error(this.help);
        return 2;
    }
  },
};
