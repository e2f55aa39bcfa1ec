import { isUtf8 } from 'node:buffer';
import { create, toBinary } from '@bufbuild/protobuf';
import type { ApiKeyRecord } from '@clickwise/api-keys';
import { catalogItemFromJson, catalogItemFromProto, isCatalogRejection, MAX_CATALOG_ITEMS, toCatalogRecord, type CatalogItem, type CatalogRejection } from '@clickwise/catalog';
import { CatalogItemSchema, DeadLetterSchema, topics, type CatalogItem as CatalogItemRecord } from '@clickwise/contracts';
import { injectTrace, KafkaProducer, type OutgoingRecord } from '@clickwise/kafka';
import { log } from '@clickwise/service';
import { type IngestionConfig } from './config.js';
import { type IngestionMetrics, type Route } from './ingestion.metrics.js';
import { type CatalogLog, type EventLog, type KeyAuthority } from './ingestion.ports.js';
import { acknowledged, safeJson, spendRate } from './ingest-steps.js';
import { firstBadUtf8, type BodyProblem } from './validation.js';

/** What a catalogue update carries: JSON items (HTTP) or protobuf items (gRPC). */
export type CatalogInput = { kind: 'json'; items: unknown[] } | { kind: 'proto'; items: CatalogItemRecord[] };

export interface CatalogResult {
  accepted: number;
  rejected: CatalogRejection[];
}

export type ParsedCatalogBody = { ok: true; items: unknown[] } | { ok: false; problem: BodyProblem };

/** Reads a PUT /v1/catalog/items body: UTF-8 JSON `{"items": [...]}` with 1..MAX_CATALOG_ITEMS items. */
export function parseCatalogBody(contentType: string | undefined, bytes: Buffer, maxBytes: number): ParsedCatalogBody {
  const fail = (problem: BodyProblem): ParsedCatalogBody => ({ ok: false, problem });
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime !== 'application/json') return fail({ status: 415, code: 'unsupported_media_type', reason: `Content-Type ${mime || '(none)'} is not supported: send application/json` });
  if (bytes.length === 0) return fail({ status: 400, code: 'empty_body', reason: 'the body is empty: send {"items": [...]}' });
  if (bytes.length > maxBytes) return fail({ status: 413, code: 'too_large', reason: `the body is ${bytes.length} bytes; at most ${maxBytes} are accepted per request` });
  if (!isUtf8(bytes)) return fail({ status: 400, code: 'invalid_utf8', reason: `the body is not valid UTF-8 (bad byte sequence at offset ${firstBadUtf8(bytes)})` });
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return fail({ status: 400, code: 'malformed_json', reason: `malformed JSON: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail({ status: 400, code: 'invalid_body', reason: 'the body must be an object: {"items": [...]}' });
  const { items, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return fail({ status: 400, code: 'invalid_body', field: extra, reason: `unknown field "${extra}": the body is {"items": [...]}` });
  return checkItemCount(items);
}

/** 1..MAX_CATALOG_ITEMS items (the gRPC edge checks its messages with it too). */
export function checkItemCount(items: unknown): ParsedCatalogBody {
  if (!Array.isArray(items)) return { ok: false, problem: { status: 400, code: 'invalid_body', field: 'items', reason: 'items must be an array of item objects' } };
  if (items.length === 0) return { ok: false, problem: { status: 400, code: 'invalid_body', field: 'items', reason: 'items is empty: send at least one item' } };
  if (items.length > MAX_CATALOG_ITEMS) {
    return { ok: false, problem: { status: 413, code: 'too_many_items', field: 'items', reason: `${items.length} items in one request; at most ${MAX_CATALOG_ITEMS} are accepted (split the batch)` } };
  }
  return { ok: true, items };
}

/**
 * Catalogue updates (ADR 0098): validates each item on its own, writes the good ones to
 * catalog.items.v1 keyed by item id (answering after Kafka acknowledged them) and the bad ones to
 * clickstream.dlq.v1 with the field and reason. Authentication, admission (in-flight bytes) and
 * whole-body dead letters are the events endpoint's (IngestionService); the rate limit counts items.
 */
export class CatalogIngestion {
  constructor(
    private readonly config: IngestionConfig,
    private readonly keys: KeyAuthority,
    private readonly catalog: CatalogLog,
    private readonly events: EventLog,
    private readonly metrics: IngestionMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  async put(key: ApiKeyRecord, route: Route, input: CatalogInput): Promise<CatalogResult> {
    await spendRate(this.keys, key, input.items.length, route, this.metrics);
    const ctx = { nowMs: this.now(), maxFutureMs: this.config.limits.maxFutureMs };
    const headers = injectTrace({});
    const records: OutgoingRecord[] = [];
    const rejected: CatalogRejection[] = [];
    const letters: OutgoingRecord[] = [];
    for (let i = 0; i < input.items.length; i++) {
      const result: CatalogItem | CatalogRejection =
        input.kind === 'json' ? catalogItemFromJson(input.items[i], i, ctx) : catalogItemFromProto(input.items[i]!, i, ctx);
      if (isCatalogRejection(result)) {
        rejected.push(result);
        letters.push(this.rejectionLetter(key, route, result, input.kind === 'json' ? input.items[i] : input.items[i]!));
        continue;
      }
      records.push({ key: result.itemId, value: Buffer.from(toBinary(CatalogItemSchema, toCatalogRecord(result))), headers });
    }

    const deadLetters = this.writeDeadLetters(letters);
    await acknowledged(records.length > 0 ? this.catalog.writeItems(records) : Promise.resolve(), {
      timeoutMs: this.config.kafkaAckTimeoutMs,
      late: 'the items may still be written: send them again after Retry-After (a repeat replaces the same record)',
      route,
      metrics: this.metrics,
      alsoWait: deadLetters,
    });
    this.metrics.catalogAccepted.inc({ route }, records.length);
    for (const r of rejected) this.metrics.catalogRejected.inc({ route, reason: r.code });
    return { accepted: records.length, rejected };
  }

  private rejectionLetter(key: ApiKeyRecord, route: Route, rejection: CatalogRejection, raw: unknown): OutgoingRecord {
    const payload =
      raw && typeof raw === 'object' && '$typeName' in raw ? Buffer.from(toBinary(CatalogItemSchema, raw as CatalogItemRecord)) : Buffer.from(safeJson(raw), 'utf8');
    const max = this.config.dlqMaxPayloadBytes;
    const letter = create(DeadLetterSchema, {
      stage: 'ingestion',
      source: route,
      reasonCode: rejection.code,
      reason: rejection.reason,
      field: rejection.field,
      payload: payload.length > max ? payload.subarray(0, max) : payload,
      truncated: payload.length > max,
      originalSize: payload.length,
      // Where the item was meant to go (edge input for the events topic leaves this empty).
      originalTopic: this.catalog.topic,
      apiKeyId: key.id,
      rejectedAtMs: BigInt(this.now()),
    });
    return KafkaProducer.encode(topics.deadLetters, rejection.itemId || null, letter);
  }

  private async writeDeadLetters(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.events.writeDeadLetters(records);
    } catch (error) {
      this.metrics.deadLetterFailures.inc(records.length);
      log('warn', 'could not write dead letters of catalogue items', { error: String(error), count: records.length });
    }
  }
}
