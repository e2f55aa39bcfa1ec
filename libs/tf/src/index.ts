export {
  BACKEND_CHOICES,
  loadTensorflow,
  nativeAddonStatus,
  parseBackendChoice,
  resolvedPath,
  type BackendChoice,
  type BackendName,
  type LoadedTensorflow,
  type LoadOptions,
  type Tf,
} from './load.js';
export { gatherRows } from './gather.js';
export { BENCH_MODELS, benchmarkBackends, type BenchModel, type BenchOptions, type BenchResult } from './bench.js';
