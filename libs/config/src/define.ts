import { z } from 'zod';
import { ConfigError } from './errors.js';

/** One configuration field: the environment variable it is read from and its schema. */
export interface EnvField<S extends z.ZodType = z.ZodType> {
  readonly env: string;
  readonly schema: S;
}

/** Fields of a configuration object; a nested object groups fields (e.g. `limits`). */
export interface ConfigShape {
  readonly [field: string]: EnvField | ConfigShape;
}

/** The typed configuration object a shape produces. */
export type ConfigOf<S extends ConfigShape> = {
  readonly [K in keyof S]: S[K] extends EnvField<infer Z> ? z.output<Z> : S[K] extends ConfigShape ? ConfigOf<S[K]> : never;
};

/** The field `name` of a configuration, read from the environment variable `env`. */
export function env<S extends z.ZodType>(name: string, schema: S): EnvField<S> {
  return { env: name, schema };
}

function isField(value: EnvField | ConfigShape): value is EnvField {
  return typeof (value as EnvField).env === 'string' && (value as EnvField).schema instanceof z.ZodType;
}

function collect(shape: ConfigShape, into: Record<string, z.ZodType>): void {
  for (const value of Object.values(shape)) {
    if (isField(value)) into[value.env] = value.schema;
    else collect(value, into);
  }
}

function assemble(shape: ConfigShape, parsed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(shape)) out[name] = isField(value) ? parsed[value.env] : assemble(value, parsed);
  return out;
}

/**
 * Parses `env` into the configuration object `shape` describes, in one pass: every field names
 * its variable once, so there is no second mapping from variables to fields. On failure the
 * ConfigError names every bad variable and why, so an operator fixes them all in one go.
 */
export function loadConfig<S extends ConfigShape>(service: string, shape: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const schemas: Record<string, z.ZodType> = {};
  collect(shape, schemas);
  return assemble(shape, parseConfig(service, z.object(schemas), env)) as ConfigOf<S>;
}

/**
 * Parses `source` with `schema` once. On failure the error names every bad key and why, so an
 * operator fixes them all in one go.
 */
export function parseConfig<S extends z.ZodType>(service: string, schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

/** A configuration class: the Nest injection token and the typed object in one. */
export interface ConfigClass<T> {
  new (values: T): T;
  /** Parses `env` (process.env by default); throws ConfigError listing every bad variable. */
  load<C>(this: new (values: T) => C, env?: NodeJS.ProcessEnv): C;
  readonly service: string;
}

/**
 * A base class for a service's configuration: `export class FeaturesConfig extends
 * defineConfig('features', { ...serviceConfig, groupId: env('FEATURES_GROUP_ID', …) }) {}` gives
 * a class (a Nest token) whose instances are the typed object, and `FeaturesConfig.load()`.
 */
export function defineConfig<S extends ConfigShape>(service: string, shape: S): ConfigClass<ConfigOf<S>> {
  class Config {
    static readonly service = service;

    constructor(values: ConfigOf<S>) {
      Object.assign(this, values);
    }

    static load<C>(this: new (values: ConfigOf<S>) => C, source: NodeJS.ProcessEnv = process.env): C {
      return new this(loadConfig(service, shape, source));
    }
  }
  return Config as unknown as ConfigClass<ConfigOf<S>>;
}
