import { runService } from '@clickwise/service';
import { AppModule } from './app.module.js';
import { ConsoleConfig } from './config.js';

runService({
  name: 'console',
  loadConfig: (env) => ConsoleConfig.load(env),
  module: (config) => AppModule.register(config),
  readyFields: (config) => ({ topicPrefix: config.topicPrefix, targets: config.scrapeTargets.map((t) => t.name), groups: config.lagGroups.map((g) => g.group) }),
});
