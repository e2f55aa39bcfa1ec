import { createHash, randomFillSync } from 'node:crypto';

/**
 * Recommendation ids (ADR 0096): `r1.<model version>.<12 hex>`. They say which model version made
 * the list (so `recommendation shown` / `recommendation clicked` events carrying the id are
 * attributed to it without a lookup) and nothing else: no shopper, no time, no secret. The random
 * part makes each list's id unique. A version that would push the id past ingestion's 128
 * characters is written as `h` + the first 16 hex of its SHA-256; the service resolves those from
 * the versions it served (`RecommendationIds.versionOf`).
 */
export const RECOMMENDATION_ID_VERSION = 'r1';
/** Ingestion's limit on an id field (services/ingestion MAX_ID_CHARS). */
export const MAX_RECOMMENDATION_ID_CHARS = 128;
const RANDOM_HEX = 12;
const RANDOM = /^[0-9a-f]{12}$/;
/** Registry version names (libs/model-registry) and `live`: letters, digits, '.', '_', '-'. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HASHED = /^h[0-9a-f]{16}$/;

function hashed(version: string): string {
  return `h${createHash('sha256').update(version).digest('hex').slice(0, 16)}`;
}

/** The version part of an id for `modelVersion` (the version itself, or its hash when too long). */
export function versionPart(modelVersion: string): string {
  if (!VERSION.test(modelVersion)) throw new Error(`model version "${modelVersion}" is not a version name`);
  const direct = `${RECOMMENDATION_ID_VERSION}.${modelVersion}.`.length + RANDOM_HEX;
  return direct <= MAX_RECOMMENDATION_ID_CHARS && !HASHED.test(modelVersion) ? modelVersion : hashed(modelVersion);
}

/** Random bytes drawn in blocks (one call to the CSPRNG per 682 ids, not one per id). */
const pool = Buffer.alloc(4092);
let poolAt = pool.length;

/** The next RANDOM_HEX hex digits of the pool. */
function randomHex(): string {
  const n = RANDOM_HEX / 2;
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += n;
  return pool.toString('hex', poolAt - n, poolAt);
}

/** A new id for a list made by `modelVersion` (`random`: its random bytes, for tests; else drawn from the pool). */
export function newRecommendationId(modelVersion: string, random?: Uint8Array): string {
  const hex = random === undefined ? randomHex() : Buffer.from(random).toString('hex').slice(0, RANDOM_HEX);
  return `${RECOMMENDATION_ID_VERSION}.${versionPart(modelVersion)}.${hex}`;
}

/** The id's version part (a version or its hash), or undefined when it is not an r1 id. */
export function parseRecommendationId(id: string): { versionPart: string; hashed: boolean } | undefined {
  const prefix = `${RECOMMENDATION_ID_VERSION}.`;
  if (!id.startsWith(prefix) || id.length > MAX_RECOMMENDATION_ID_CHARS) return undefined;
  const last = id.lastIndexOf('.');
  if (last <= prefix.length || !RANDOM.test(id.slice(last + 1))) return undefined;
  const part = id.slice(prefix.length, last);
  if (!VERSION.test(part)) return undefined;
  return { versionPart: part, hashed: HASHED.test(part) };
}

/** Makes ids and attributes them back: remembers the hashed versions it wrote. */
export class RecommendationIds {
  private readonly byHash = new Map<string, string>();

  /** A new id for `modelVersion`. */
  next(modelVersion: string): string {
    const part = versionPart(modelVersion);
    if (part !== modelVersion) this.byHash.set(part, modelVersion);
    return newRecommendationId(modelVersion);
  }

  /** Makes hashed ids of `modelVersion` attributable (e.g. versions read from the registry). */
  know(modelVersion: string): void {
    if (!VERSION.test(modelVersion)) return;
    const part = versionPart(modelVersion);
    if (part !== modelVersion) this.byHash.set(part, modelVersion);
  }

  /** The model version an id names; undefined for an id that is not one of ours (or a hash never seen). */
  versionOf(id: string): string | undefined {
    const parsed = parseRecommendationId(id);
    if (!parsed) return undefined;
    return parsed.hashed ? this.byHash.get(parsed.versionPart) : parsed.versionPart;
  }
}
