export { composeFile, composeUnset, COMPOSE_IMAGES } from './compose.js';
export { platformVars, serviceEnv, varsOf, type EnvVar, type ServiceEnv } from './env.js';
export { drift, generate, GENERATED_DIRS, renderFiles, writeFiles } from './generate.js';
export { deployHints, type DeployHints, type DeployKind } from './hints.js';
export { kafkaTopicName, kafkaTopics, serviceObjects, type K8sObject } from './k8s.js';
export { graceSeconds, loadModel, NAMES, partitionsOf, SECRET_VARS, type DeployModel, type DeployService } from './model.js';
export { buildOverlay, kustomizeCommand, OVERLAYS } from './kustomize.js';
