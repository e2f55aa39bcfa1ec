import { runService } from '@clickwise/service';
import { AppModule } from './app.module.js';
import { FeaturesConfig } from './config.js';

runService({
  name: 'features',
  loadConfig: (env) => FeaturesConfig.load(env),
  module: (config) => AppModule.register(config),
  readyFields: (config) => ({ topicPrefix: config.topicPrefix, redisKeyPrefix: config.redisKeyPrefix, group: config.groupId }),
});
