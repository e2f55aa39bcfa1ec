import { delimiterFor, formatPresets, parseDelimiterName, parseTypeMap, type ColumnMapping, type TimeUnit } from '@clickwise/clickstream-files';

/** The column-mapping flags of `replay` and `evaluate purchase` (parseArgs options). */
export const columnFlagOptions = {
  format: { type: 'string' },
  'time-col': { type: 'string' },
  'time-unit': { type: 'string' },
  'user-col': { type: 'string' },
  'session-col': { type: 'string' },
  'item-col': { type: 'string' },
  'category-col': { type: 'string' },
  'type-col': { type: 'string' },
  'type-map': { type: 'string' },
  'price-col': { type: 'string' },
  delimiter: { type: 'string' },
  'no-header': { type: 'boolean' },
} as const;

export type ColumnFlagValues = { [K in keyof typeof columnFlagOptions]?: (typeof columnFlagOptions)[K]['type'] extends 'boolean' ? boolean : string };

/** A --format preset, overridden column by column by the flags; the delimiter by flag, preset or extension. */
export function columnMappingFromFlags(values: ColumnFlagValues, file: string): { mapping: ColumnMapping; delimiter: string } {
  const preset = values.format === undefined ? undefined : formatPresets[values.format];
  if (values.format !== undefined && !preset) throw new Error(`unknown --format "${values.format}" (known: ${Object.keys(formatPresets).join(', ')})`);
  const base: Partial<ColumnMapping> = preset?.mapping ?? {};
  const timeUnit = values['time-unit'] ?? base.timeUnit ?? 's';
  if (!['s', 'ms', 'iso'].includes(timeUnit)) throw new Error(`--time-unit must be s, ms or iso, got "${timeUnit}"`);
  const mapping: ColumnMapping = {
    time: values['time-col'] ?? base.time ?? '',
    timeUnit: timeUnit as TimeUnit,
    session: values['session-col'] ?? base.session ?? '',
    type: values['type-col'] ?? base.type ?? '',
    typeMap: values['type-map'] !== undefined ? parseTypeMap(values['type-map']) : (base.typeMap ?? {}),
  };
  const optional = {
    user: values['user-col'] ?? base.user,
    item: values['item-col'] ?? base.item,
    category: values['category-col'] ?? base.category,
    price: values['price-col'] ?? base.price,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) mapping[k as keyof typeof optional] = v;
  const delimiter = values.delimiter !== undefined ? parseDelimiterName(values.delimiter) : (preset?.delimiter ?? delimiterFor(file));
  return { mapping, delimiter };
}
