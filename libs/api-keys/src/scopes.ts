import { InvalidInputError } from '@clickwise/errors';

/**
 * What a key may do. `ingest`: send events whose time is near now; `backfill`: send historical
 * events; `read`: query scores and recommendations; `watch-all`: subscribe to every shopper's
 * updates; `ops`: operator endpoints; `catalog`: write catalogue items (PUT /v1/catalog/items).
 */
export const SCOPES = ['ingest', 'backfill', 'read', 'watch-all', 'ops', 'catalog'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `ingest,backfill` → ['ingest', 'backfill']; unknown or no scopes are an InvalidInputError. */
export function parseScopes(csv: string): Scope[] {
  const names = csv
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !isScope(n));
  if (bad.length > 0) {
    throw new InvalidInputError(`unknown scope ${bad.map((b) => `"${b}"`).join(', ')}; scopes are ${SCOPES.join(', ')}`, 'scopes');
  }
  if (names.length === 0) throw new InvalidInputError(`at least one scope is needed (${SCOPES.join(', ')})`, 'scopes');
  return [...new Set(names as Scope[])];
}
