import { InvalidInputError } from '@clickwise/errors';

/** The key suffix of a model's champion pointer on models.published.v1. */
export const CHAMPION = 'champion';

const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws unless `model` is a model family name: lowercase letters, digits, '.', '_', '-' (at most 64). */
export function assertModelName(model: string): void {
  if (!MODEL_NAME.test(model)) {
    throw new InvalidInputError(
      `model name "${model}" is not valid: use lowercase letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)`,
      'model',
    );
  }
}

/** Throws unless `version` is a version name: letters, digits, '.', '_', '-' (at most 128), and not "champion". */
export function assertVersionName(version: string): void {
  if (!VERSION_NAME.test(version) || version === CHAMPION) {
    throw new InvalidInputError(
      `version "${version}" is not valid: use letters, digits, '.', '_' and '-' (at most 128, starting with a letter or digit; "${CHAMPION}" is reserved)`,
      'version',
    );
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The version the registry gives a model published without one: its creation time in UTC to the
 * millisecond, then the first 8 hex digits of the artifact's SHA-256, e.g.
 * `20261202T043012.345Z-1a2b3c4d`. Sorting these strings sorts by creation time (years 1000–9999);
 * the digest tells apart two artifacts published in the same millisecond.
 */
export function generateVersion(createdAtMs: number, sha256: string): string {
  if (!Number.isFinite(createdAtMs)) throw new InvalidInputError(`createdAtMs must be a time in unix ms, got ${createdAtMs}`, 'createdAtMs');
  const d = new Date(createdAtMs);
  const year = d.getUTCFullYear();
  if (year < 1000 || year > 9999) throw new InvalidInputError(`createdAtMs ${createdAtMs} is outside the years 1000–9999`, 'createdAtMs');
  const stamp = `${year}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
  return `${stamp}-${sha256.slice(0, 8)}`;
}

/** The order of a model's versions: by creation time, then by version name (ties, versions given by hand). */
export function compareVersions(a: { createdAtMs: number; version: string }, b: { createdAtMs: number; version: string }): number {
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs - b.createdAtMs;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/** The record key of a version on models.published.v1. */
export function versionKey(model: string, version: string): string {
  return `${model}/${version}`;
}

/** The record key of a model's champion pointer on models.published.v1. */
export function championKey(model: string): string {
  return `${model}/${CHAMPION}`;
}

/** Splits a models.published.v1 key into model and version ("champion" for the pointer); undefined when it is not one. */
export function parseKey(key: string): { model: string; version: string } | undefined {
  const slash = key.lastIndexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { model: key.slice(0, slash), version: key.slice(slash + 1) };
}
