export {
  BACKEND_CHOICES,
  loadTensorflow,
  parseBackendChoice,
  resolvedPath,
  type BackendChoice,
  type BackendName,
  type LoadedTensorflow,
  type Tf,
} from './load.js';
