import { isEventTypeName, type EventTypeName } from '@clickwise/contracts';

export type TimeUnit = 's' | 'ms' | 'iso';

/**
 * Which columns of an export mean what. A column is named by its header, or by its 1-based
 * position (`3`) when the file has no header.
 */
export interface ColumnMapping {
  time: string;
  timeUnit: TimeUnit;
  session: string;
  type: string;
  user?: string;
  item?: string;
  category?: string;
  price?: string;
  /** Source type value → event type. A value that is not in the map but is an event type name itself is taken as is. */
  typeMap: Readonly<Record<string, EventTypeName>>;
}

/** RetailRocket (../shared/data/retailrocket-week/events.tsv): Time (unix s), UserId, Type, ItemId, SessionId, CatId. */
export const retailRocketMapping: ColumnMapping = {
  time: 'Time',
  timeUnit: 's',
  user: 'UserId',
  type: 'Type',
  item: 'ItemId',
  session: 'SessionId',
  category: 'CatId',
  typeMap: { view: 'product_view', addtocart: 'add_to_cart', transaction: 'purchase' },
};

/** Named presets for `--format`. */
export const formatPresets: Readonly<Record<string, { mapping: ColumnMapping; delimiter: string }>> = {
  retailrocket: { mapping: retailRocketMapping, delimiter: '\t' },
};

/** Parses `a=b,c=d` into a type map; every target must be an event type name. */
export function parseTypeMap(text: string): Record<string, EventTypeName> {
  const map: Record<string, EventTypeName> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--type-map: "${pair}" is not source=event_type`);
    const from = pair.slice(0, eq).trim();
    const to = pair.slice(eq + 1).trim();
    if (!isEventTypeName(to)) throw new Error(`--type-map: "${to}" is not an event type (page_view, product_view, search, add_to_cart, …)`);
    map[from] = to;
  }
  return map;
}

/** One usable row of an export, before it gets an id and a send time. */
export interface SourceRow {
  /** 1-based data row number in the file (the header not counted), before sorting. */
  row: number;
  timeMs: number;
  type: EventTypeName;
  sessionId: string;
  userId?: string;
  itemId?: string;
  categoryId?: string;
  price?: number;
}

export type MapResult = { ok: true; row: SourceRow } | { ok: false; reason: string };

/** Parses a time cell in the given unit to unix ms; NaN when unreadable. */
export function parseTime(value: string, unit: TimeUnit): number {
  const v = value.trim();
  if (v === '') return NaN;
  switch (unit) {
    case 's':
      return /^-?\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 1000) : NaN;
    case 'ms':
      return /^-?\d+(\.\d+)?$/.test(v) ? Math.round(Number(v)) : NaN;
    case 'iso':
      return Date.parse(v);
  }
}

/** Raised when the mapping names columns the file does not have; lists every problem. */
export class MappingError extends Error {
  constructor(readonly problems: string[]) {
    super(`column mapping: ${problems.join('; ')}`);
    this.name = 'MappingError';
  }
}

type Field = keyof Pick<ColumnMapping, 'time' | 'session' | 'type' | 'user' | 'item' | 'category' | 'price'>;

/** Maps the fields of one record to a SourceRow, by column positions resolved once from the header. */
export class RowMapper {
  private constructor(
    private readonly mapping: ColumnMapping,
    private readonly at: Readonly<Record<Field, number | undefined>>,
  ) {}

  /** Resolves the mapping against a header (or positions, when `header` is undefined). */
  static create(header: readonly string[] | undefined, mapping: ColumnMapping): RowMapper {
    const problems: string[] = [];
    const names = header?.map((h) => h.trim());
    const resolve = (field: Field, required: boolean): number | undefined => {
      const ref = mapping[field];
      if (ref === undefined || ref === '') {
        if (required) problems.push(`the ${field} column is required`);
        return undefined;
      }
      const byName = names?.indexOf(ref) ?? -1;
      if (byName >= 0) return byName;
      if (/^\d+$/.test(ref) && Number(ref) >= 1 && (names === undefined || Number(ref) <= names.length)) return Number(ref) - 1;
      problems.push(`${field} column "${ref}" is not in the file${names ? ` (columns: ${names.join(', ')})` : ''}`);
      return undefined;
    };
    const at = {
      time: resolve('time', true),
      session: resolve('session', true),
      type: resolve('type', true),
      user: resolve('user', false),
      item: resolve('item', false),
      category: resolve('category', false),
      price: resolve('price', false),
    };
    if (problems.length > 0) throw new MappingError(problems);
    return new RowMapper(mapping, at);
  }

  map(fields: readonly string[], row: number): MapResult {
    const cell = (field: Field): string | undefined => {
      const i = this.at[field];
      if (i === undefined) return undefined;
      const v = fields[i]?.trim();
      return v === '' ? undefined : v;
    };
    const rawTime = cell('time') ?? '';
    const timeMs = parseTime(rawTime, this.mapping.timeUnit);
    if (!Number.isFinite(timeMs)) return { ok: false, reason: `unreadable time (${this.mapping.timeUnit})` };
    const rawType = cell('type') ?? '';
    const type = this.mapping.typeMap[rawType] ?? (isEventTypeName(rawType) ? rawType : undefined);
    if (type === undefined) return { ok: false, reason: `unmapped type "${rawType.slice(0, 40)}"` };
    const sessionId = cell('session');
    if (sessionId === undefined) return { ok: false, reason: 'no session id' };
    const out: SourceRow = { row, timeMs, type, sessionId };
    const userId = cell('user');
    if (userId !== undefined) out.userId = userId;
    const itemId = cell('item');
    if (itemId !== undefined) out.itemId = itemId;
    const categoryId = cell('category');
    if (categoryId !== undefined) out.categoryId = categoryId;
    const price = cell('price');
    if (price !== undefined) {
      const value = Number(price);
      if (!Number.isFinite(value)) return { ok: false, reason: 'unreadable price' };
      out.price = value;
    }
    return { ok: true, row: out };
  }
}
