import { IncompatibleModelError } from './errors.js';
import type { ModelVersion } from './types.js';

/** Whether a model may serve next to `servingFeatureDefinitionsVersion` ('' on the model: it reads no feature definitions). */
export function isCompatible(record: Pick<ModelVersion, 'featureDefinitionsVersion'>, servingFeatureDefinitionsVersion: string): boolean {
  return record.featureDefinitionsVersion === '' || record.featureDefinitionsVersion === servingFeatureDefinitionsVersion;
}

/**
 * Throws IncompatibleModelError unless the model was trained on the feature definitions this
 * service serves: a model scored on features it was not trained on gives wrong numbers silently.
 */
export function assertCompatible(record: Pick<ModelVersion, 'model' | 'version' | 'featureDefinitionsVersion'>, servingFeatureDefinitionsVersion: string): void {
  if (isCompatible(record, servingFeatureDefinitionsVersion)) return;
  throw new IncompatibleModelError(
    `model ${record.model}/${record.version} was trained on feature definitions ${record.featureDefinitionsVersion}, ` +
      `this service serves ${servingFeatureDefinitionsVersion || '(none)'}; retrain or deploy matching definitions`,
  );
}
