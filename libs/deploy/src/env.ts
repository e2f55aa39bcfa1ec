import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serviceConfig, type ConfigShape, type EnvField } from '@clickwise/config';
import type { ServiceManifest } from '@clickwise/local-infra';
import type { z } from '@clickwise/config';
import { recordedConfigs, type RecordedConfig } from './config-recorder.js';

/** One environment variable a service reads. */
export interface EnvVar {
  name: string;
  /** Its default as the string an environment would carry (absent: no default). */
  default?: string;
  /** Optional without a default (e.g. OTEL_EXPORTER_OTLP_ENDPOINT): left unset unless configured. */
  optional: boolean;
}

/** What a service reads from its environment, in its config.ts order. */
export interface ServiceEnv {
  service: string;
  vars: EnvVar[];
  /** Parses an environment with the service's own schema (throws ConfigError). */
  load(env: NodeJS.ProcessEnv): unknown;
}

interface ZodDefLike {
  type: string;
  defaultValue?: unknown;
  in?: z.ZodType;
  out?: z.ZodType;
  innerType?: z.ZodType;
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** The default of a field's schema, looking through preprocess/pipe/transform (zod 4 defs). */
function defaultOf(schema: z.ZodType): { value?: unknown; optional: boolean } {
  const def = defOf(schema);
  if (def.type === 'default' || def.type === 'prefault') return { value: def.defaultValue, optional: false };
  if (def.type === 'pipe' && def.in && def.out) {
    const first = defaultOf(def.in);
    return first.value !== undefined || first.optional ? first : defaultOf(def.out);
  }
  if (def.type === 'optional') return { optional: true };
  return { optional: false };
}

function envString(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${name}: its default ${JSON.stringify(value)} is not a string, number or boolean; the generator cannot write it into a ConfigMap`);
}

function isField(value: EnvField | ConfigShape): value is EnvField {
  return typeof (value as EnvField).env === 'string';
}

/** Every variable of a config shape, depth first in declaration order, with its default. */
export function varsOf(shape: ConfigShape): EnvVar[] {
  const out: EnvVar[] = [];
  const walk = (s: ConfigShape) => {
    for (const value of Object.values(s)) {
      if (!isField(value)) {
        walk(value);
        continue;
      }
      if (out.some((v) => v.name === value.env)) continue;
      const d = defaultOf(value.schema);
      out.push({ name: value.env, optional: d.optional, ...(d.value === undefined ? {} : { default: envString(value.env, d.value) }) });
    }
  };
  walk(shape);
  return out;
}

/** The variables every service shares (libs/config serviceConfig), with their defaults. */
export const platformVars: readonly EnvVar[] = varsOf(serviceConfig);

const hookedRoots = new Set<string>();
let hooked = false;
function routeConfigImports(root: string): void {
  hookedRoots.add(pathToFileURL(join(root, 'services')).href + '/');
  if (hooked) return;
  hooked = true;
  const recorder = new URL('./config-recorder.js', import.meta.url).href;
  registerHooks({
    resolve(specifier, context, next) {
      const parent = context.parentURL;
      if (specifier === '@clickwise/config' && parent !== undefined && [...hookedRoots].some((r) => parent.startsWith(r))) {
        return { url: recorder, format: 'module', shortCircuit: true };
      }
      return next(specifier, context);
    },
  });
}

/**
 * Loads a service's compiled config module (services/<name>/<configModule>, built by tsc) and
 * returns every variable its schema reads. The module's import of @clickwise/config is routed to a
 * recorder that keeps the shape given to defineConfig (libs/config exposes no shape).
 */
export async function serviceEnv(root: string, manifest: ServiceManifest, configModule: string): Promise<ServiceEnv> {
  routeConfigImports(root);
  const file = join(root, 'services', manifest.name, configModule);
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    throw new Error(`${manifest.name}: cannot load its config module ${file} (build first: ./clickwise check or pnpm run build): ${String(error)}`, { cause: error });
  }
  const recorded: RecordedConfig | undefined = recordedConfigs.get(manifest.name);
  if (!recorded) {
    throw new Error(`${manifest.name}: ${configModule} defined no config named "${manifest.name}" (defineConfig('${manifest.name}', …)); seen: ${[...recordedConfigs.keys()].join(', ') || 'none'}`);
  }
  const { shape, load } = recorded;
  return { service: manifest.name, vars: varsOf(shape), load: (env) => load(env) };
}
