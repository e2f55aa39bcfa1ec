export { applyIsotonic, ArtifactError, ARTIFACT_FORMAT, assertDefinitions, decodeArtifact, encodeArtifact, PurchaseScorer, type Activation, type Calibration, type DenseLayer, type IsotonicMap, type PurchaseArtifact } from './artifact.js';
export { binaryMetrics, type BinaryMetrics, type Estimate } from './bootstrap.js';
export { backtestBaseRate, backtestRefit, type CalibrationBacktestFold, type RefitBacktestFold } from './backtest.js';
export { anchorToPrior, applyCalibration, chooseCalibration, fitIsotonic, fitPlatt, IDENTITY_CALIBRATION, type CalibrationChoice } from './calibration.js';
export { columnsOf, ITEM_IN_LISTS, rowOf, type ColumnSource, type ColumnSpec } from './columns.js';
export {
  arraySource,
  canonicalOrder,
  DEFAULT_SESSION_GAP_MS,
  fileSource,
  kafkaSource,
  sessionise,
  TrainingSourceError,
  type FileSourceOptions,
  type KafkaSourceOptions,
  type SourceCapabilities,
  type SourceEvent,
  type TrainingSource,
} from './events.js';
export { verifyPointInTime, type PointInTimeReport } from './leakage.js';
export { DEFAULT_CONFIGS, disposeEnsemble, fitEnsemble, fitModel, LOGISTIC_REGRESSION, logitOf, MLP, tfPredict, type Dataset, type FittedEnsemble, type FittedModel, type ModelConfig } from './models.js';
export {
  COUNTS_BASELINE,
  evaluateOnHoldout,
  RULE_BASELINE,
  trainOnSplit,
  trainPurchaseModel,
  type BaseRate,
  type CandidateResult,
  type PurchaseTrainingResult,
  type TrainingStage,
  type TrainPurchaseOptions,
} from './pipeline.js';
export { fitPreprocessing, transformRow, transformRows, type InputTransform, type Preprocessing } from './preprocess.js';
export { boundsFor, FIXED_SPLIT_MIN_SPAN_MS, logGaps, MIN_SPLIT_SPAN_MS, SPLIT_GAP_MS, splitBounds, SplitError, timeSplit, type SplitBounds, type TimeSplit } from './split.js';
export { buildFromEvents, buildTrainingSet, collect, subset, type BuildOptions, type TrainingSet, type TrainingSetStats, type VectorExecutor } from './training-set.js';
export { summaryJson, trainingReport } from './report.js';
