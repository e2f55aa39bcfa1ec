import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TfModule from '@tensorflow/tfjs';

/** The TensorFlow.js namespace every backend shares (the `@tensorflow/tfjs` API). */
export type Tf = typeof TfModule;

/**
 * Which backend to run on:
 * - `native`: libtensorflow through `@tensorflow/tfjs-node` (the fast one; needs the project's
 *   install step, see ADR 0050);
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` (SIMD, one thread: wasm threads do not work in Node);
 * - `cpu`: the pure-JavaScript backend (slowest, always there);
 * - `auto`: the first of native, wasm, cpu that loads.
 */
export type BackendChoice = 'auto' | 'native' | 'wasm' | 'cpu';
export type BackendName = Exclude<BackendChoice, 'auto'>;
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', 'wasm', 'cpu'];

export interface LoadedTensorflow {
  tf: Tf;
  /** The backend actually in use (checked after `tf.setBackend`, which can silently fall back). */
  backend: BackendName;
  /** tfjs's own name for it (`tensorflow`, `wasm`, `cpu`). */
  tfBackendName: string;
  /** Why each better backend was not used, when `auto` fell back. */
  fallbacks: { backend: BackendName; reason: string }[];
}

/** tfjs's registry name of each backend. */
const TF_NAME: Record<BackendName, string> = { native: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

const require = createRequire(import.meta.url);

/** Parses a backend choice (e.g. from `TF_BACKEND`), naming the accepted values when it is wrong. */
export function parseBackendChoice(value: string | undefined, name = 'TF_BACKEND'): BackendChoice {
  const v = (value ?? 'auto').trim().toLowerCase() || 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`${name}=${value} is not a TensorFlow.js backend; use one of ${BACKEND_CHOICES.join(', ')}`);
}

export interface LoadOptions {
  /** Default: `TF_BACKEND`, else `auto`. */
  backend?: BackendChoice;
  /**
   * The native package to load instead of `@tensorflow/tfjs-node`: a module name or a package
   * directory. For tests of the fallback (a name that does not resolve, a copy without its
   * addon); such a load is not cached.
   */
  nativePackage?: string;
}

let loaded: Promise<LoadedTensorflow> | undefined;
let loadedChoice: BackendChoice | undefined;

/**
 * Loads TensorFlow.js once per process on the chosen backend (default: `TF_BACKEND`, else `auto`)
 * and reports the backend that really runs. Asking for a named backend that cannot load is an
 * error naming why; `auto` falls back and says so in `fallbacks`. A second call with another
 * explicit choice switches backend (benchmarks measure each).
 */
export async function loadTensorflow(options: LoadOptions = {}): Promise<LoadedTensorflow> {
  const choice = options.backend ?? parseBackendChoice(process.env.TF_BACKEND);
  if (options.nativePackage !== undefined) return load(choice, options.nativePackage);
  if (loaded && (choice === loadedChoice || choice === 'auto')) return loaded;
  loadedChoice = choice;
  loaded = load(choice, NATIVE_PACKAGE);
  try {
    return await loaded;
  } catch (error) {
    loaded = undefined;
    loadedChoice = undefined;
    throw error;
  }
}

async function load(choice: BackendChoice, nativePackage: string): Promise<LoadedTensorflow> {
  const order: BackendName[] = choice === 'auto' ? ['native', 'wasm', 'cpu'] : [choice];
  const fallbacks: LoadedTensorflow['fallbacks'] = [];
  for (const backend of order) {
    try {
      const tf = await activate(backend, nativePackage);
      return { tf, backend, tfBackendName: tf.getBackend(), fallbacks };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (choice !== 'auto') throw new Error(`TensorFlow.js backend "${backend}" could not be loaded: ${reason}`, { cause: error });
      fallbacks.push({ backend, reason });
    }
  }
  throw new Error(`no TensorFlow.js backend loaded: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

async function activate(backend: BackendName, nativePackage: string): Promise<Tf> {
  if (backend === 'native') return activateNative(nativePackage);
  const tf = await import('@tensorflow/tfjs');
  // Production mode: no debug checks, and no console banner asking for the native backend (the
  // loader reports the backend in use; ADR 0050).
  tf.enableProdMode();
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the emscripten loader reads the .wasm files from disk: point it at the package.
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(`${dir}/`);
  }
  await setBackend(tf, backend);
  return tf;
}

/** Loaded by module name so the rest works where the native package is not installed. */
const NATIVE_PACKAGE = '@tensorflow/tfjs-node';
const INSTALL_HINT = 'deploy/local/tfjs-native.sh provides it; bootstrap runs it (ADR 0050, log in .clickwise/tfjs-native.log)';

/** Where the native package's addon is, and whether it is there, without loading it. */
export function nativeAddonStatus(nativePackage: string = NATIVE_PACKAGE): { installed: boolean; path: string | null; reason?: string } {
  let packageJson: string;
  try {
    packageJson = require.resolve(`${nativePackage}/package.json`);
  } catch {
    return { installed: false, path: null, reason: `${nativePackage} is not installed (${INSTALL_HINT})` };
  }
  let path: string;
  try {
    // tfjs-node finds its addon with node-pre-gyp (lib/napi-v<N>/tfjs_binding.node).
    const preGyp = createRequire(packageJson)('@mapbox/node-pre-gyp') as { find(packageJson: string): string };
    path = preGyp.find(packageJson);
  } catch (error) {
    return { installed: false, path: null, reason: `cannot locate ${nativePackage}'s addon: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!existsSync(path)) return { installed: false, path, reason: `${nativePackage}'s native addon was not built (no ${path}; ${INSTALL_HINT})` };
  return { installed: true, path };
}

async function activateNative(nativePackage: string): Promise<Tf> {
  const addon = nativeAddonStatus(nativePackage);
  if (!addon.installed) throw new Error(addon.reason);
  // libtensorflow logs INFO lines (a oneDNN notice) to stderr on load unless told otherwise.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  installNodeUtilShim();
  const entry = require.resolve(nativePackage);
  const tf = (await import(pathToFileURL(entry).href)) as Tf & { default?: Tf };
  const ns = tf.default ?? tf;
  ns.enableProdMode();
  await setBackend(ns, 'native');
  return ns;
}

async function setBackend(tf: Tf, backend: BackendName): Promise<void> {
  const name = TF_NAME[backend];
  const ok = await tf.setBackend(name);
  await tf.ready();
  // setBackend can resolve false, or leave another backend active, without throwing.
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`tf.setBackend('${name}') left backend "${tf.getBackend()}" active`);
  }
}

/**
 * tfjs-node 4.22's compiled code calls `util.isNullOrUndefined` and friends, removed in Node 23:
 * without them its first op throws "util_1.isNullOrUndefined is not a function".
 */
function installNodeUtilShim(): void {
  const util = require('node:util') as Record<string, unknown>;
  const shims: Record<string, (v: unknown) => boolean> = {
    isNullOrUndefined: (v) => v === null || v === undefined,
    isArray: (v) => Array.isArray(v),
    isString: (v) => typeof v === 'string',
    isNumber: (v) => typeof v === 'number',
    isBoolean: (v) => typeof v === 'boolean',
    isFunction: (v) => typeof v === 'function',
    isObject: (v) => v !== null && typeof v === 'object',
    isUndefined: (v) => v === undefined,
    isNull: (v) => v === null,
  };
  for (const [name, fn] of Object.entries(shims)) if (typeof util[name] !== 'function') util[name] = fn;
  // util.isArray still exists but warns (DEP0044) on every call tfjs-node makes.
  util.isArray = Array.isArray;
}

/** Where a module resolves from, for diagnostics (`null` when it is not installed). */
export function resolvedPath(moduleName: string): string | null {
  try {
    return join(dirname(require.resolve(`${moduleName}/package.json`)));
  } catch {
    return null;
  }
}
