export { EnsembleSequenceModel, ensembleSequenceModels, loadSequenceEnsemble, SEQUENCE_ENSEMBLE_FORMAT } from './ensemble.js';
export { buildIvfIndex, IvfIndex, type IvfBuildOptions, type IvfParts } from './ivf.js';
export {
  encodeArtifact,
  loadSequenceModel,
  PureSequenceModel,
  SEQUENCE_ARTIFACT_FORMAT,
  type RetrievalOptions,
  type SequenceModel,
  type SequenceModelMeta,
  type SequenceWeights,
} from './model.js';
export {
  buildExamples,
  evaluateOnTf,
  hitAndMrr,
  initialWeights,
  labelRanksTf,
  TfSequenceNet,
  trainSequenceModel,
  type EpochReport,
  type Examples,
  type SequenceTrainReport,
  type TrainSequenceOptions,
} from './train.js';
export { evaluatePopularity, evaluateSequenceModel, type NextItemCase, type NextItemMetrics } from './evaluate.js';
export { sessionsFromClicks, timeHoldout, type SessionClick, type TimedSession, type TimeHoldout } from './sessions.js';
