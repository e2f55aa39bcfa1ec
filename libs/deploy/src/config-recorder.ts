/**
 * Stands in for @clickwise/config when the generator imports a service's compiled config module
 * (env.ts routes the service's import here): the same exports, but defineConfig also records the
 * shape it was given, so the generator sees every variable the service reads and its schema.
 */
import { defineConfig as defineRealConfig, type ConfigClass, type ConfigOf, type ConfigShape } from '@clickwise/config';

export * from '@clickwise/config';

/** A service's configuration as its config.ts declared it. */
export interface RecordedConfig {
  shape: ConfigShape;
  /** Parses an environment into the service's configuration (throws ConfigError). */
  load: (env: NodeJS.ProcessEnv) => unknown;
}

/** Shapes by service name, in the order their modules were loaded. */
export const recordedConfigs = new Map<string, RecordedConfig>();

export function defineConfig<S extends ConfigShape>(service: string, shape: S): ConfigClass<ConfigOf<S>> {
  const config = defineRealConfig(service, shape);
  recordedConfigs.set(service, { shape, load: (env) => config.load(env) });
  return config;
}
