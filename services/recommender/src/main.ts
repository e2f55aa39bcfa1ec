import { runClustered } from '@clickwise/service';
import { AppModule } from './app.module.js';
import { RecommenderConfig } from './config.js';

runClustered(
  {
    name: 'recommender',
    loadConfig: (env) => RecommenderConfig.load(env),
    module: (config) => AppModule.register(config),
    readyFields: (config) => ({ grpc: config.grpcPort, model: config.model, topicPrefix: config.topicPrefix, redisKeyPrefix: config.redisKeyPrefix, group: config.groupId }),
    forceExitAfterMs: (config) => config.shutdownGraceMs + 15_000,
  },
  // RECOMMENDER_WORKERS > 1: that many node:cluster workers, each a whole replica (ADR 0048).
  { workers: (config) => config.workers },
);
