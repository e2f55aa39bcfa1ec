export { delimiterFor, DelimitedParser, parseDelimited, parseDelimiterName, type DelimitedOptions } from './delimited.js';
export {
  formatPresets,
  MappingError,
  parseTime,
  parseTypeMap,
  retailRocketMapping,
  RowMapper,
  type ColumnMapping,
  type MapResult,
  type SourceRow,
  type TimeUnit,
} from './mapping.js';
export { BACKFILL_LEAD_SHARE, backfillLeadMs, baseName, ExportReader, replayEventId, ReplayClock, sortByTime, toHttpEvent, type ReplayTiming } from './replay.js';
export { parseAlexaReviews, parseLabelledSentences, type ReviewSample } from './reviews.js';
export { sha256Hex } from './sha256.js';
