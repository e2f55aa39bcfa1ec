import { LINEAR_FORMAT, loadLinearModel } from './linear-model.js';
import { loadPropensityModel, PROPENSITY_FORMAT } from './propensity-model.js';
import { ModelLoaders } from './serving-model.js';

/**
 * Every artifact format this service serves, by `ModelVersion.artifact.format` (ADR 0070).
 * A new format plugs in here: one `register(format, loader)` line.
 */
export function servingLoaders(): ModelLoaders {
  return new ModelLoaders().register(LINEAR_FORMAT, loadLinearModel).register(PROPENSITY_FORMAT, loadPropensityModel);
}
