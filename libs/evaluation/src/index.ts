export {
  LOG_LOSS_EPS,
  brier,
  brierMetric,
  logLoss,
  logLossMetric,
  prAuc,
  prAucMetric,
  precisionAtTop,
  precisionAtTopMetric,
  rocAuc,
  rocAucMetric,
  rocCurve,
  type RocPoint,
} from './binary.js';
export {
  BINARY_METRIC_NAMES,
  bootstrapBySession,
  estimates,
  evaluateBinary,
  quantileSorted,
  type BinaryEvaluation,
  type BinaryMetricName,
  type BootstrapOptions,
  type Interval,
  type PlainBinaryMetric,
} from './bootstrap.js';
export { eceMetric, expectedCalibrationError, reliabilityCurve, type BinStrategy, type CalibrationOptions, type ReliabilityBin } from './calibration.js';
export { Weighting, type BinaryMetric } from './metric.js';
export { prepareBinary, type PreparedBinary } from './prepared.js';
export { mulberry32 } from './random.js';
export { hitRateAtK, mrrAtK, ranksOf } from './ranking.js';
export {
  CALIBRATION_PNG,
  ROC_PNG,
  renderMarkdownReport,
  writeReport,
  type ReportModel,
  type ReportSplit,
  type TrainingReport,
  type WrittenReport,
} from './report.js';
export { Canvas, hex, type Rgb, type StrokeOptions } from './plot/canvas.js';
export {
  PALETTE,
  renderCalibrationPng,
  renderRocPng,
  type CalibrationChartOptions,
  type CalibrationCurveInput,
  type ChartOptions,
  type RocCurveInput,
} from './plot/charts.js';
export { crc32, encodePng } from './plot/png.js';
