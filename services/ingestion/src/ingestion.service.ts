import { randomBytes } from 'node:crypto';
import { toBinary } from '@bufbuild/protobuf';
import { requireScope, type ApiKeyRecord, type Scope } from '@clickwise/api-keys';
import { DeadLetterSchema, EventSchema, EventSource, shopperKey, topics, type Event } from '@clickwise/contracts';
import { ForbiddenError, OverloadedError, UnauthenticatedError } from '@clickwise/errors';
import { injectTrace, KafkaProducer, type OutgoingRecord } from '@clickwise/kafka';
import { Injectable } from '@nestjs/common';
import { IngestionConfig } from './config.js';
import { EventEncoder } from './event-codec.js';
import { acknowledged, asUnavailable, safeJson, spendRate } from './ingest-steps.js';
import { DedupeStore, EventLog, KeyAuthority } from './ingestion.ports.js';
import { IngestionMetrics, type Route } from './ingestion.metrics.js';
import { log } from '@clickwise/service';
import { eventFromJson, eventFromProto, isRejection, timeWindow, type BodyProblem, type Rejection } from './validation.js';

/** What a request asks to ingest: JSON events (HTTP) or protobuf events (gRPC). */
export type IngestInput =
  | { kind: 'json'; events: unknown[]; single: boolean }
  | { kind: 'proto'; events: Event[]; /** Index of the first event (streams count over all messages). */ indexOffset: number };

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  /** Ids another request is still writing: this request must be retried (it is safe to). */
  inFlight: string[];
}

const SCOPES_THAT_INGEST = ['ingest', 'backfill'] as const;

/**
 * The ingestion logic shared by HTTP and gRPC: authenticate, rate-limit, validate, dedupe, write to
 * Kafka (answering only after the acknowledgement), and send refused input to the dead-letter topic.
 */
@Injectable()
export class IngestionService {
  private readonly tokenPrefix = randomBytes(6).toString('hex');
  private tokenCounter = 0;
  private inflightBytes = 0;

  constructor(
    private readonly config: IngestionConfig,
    private readonly keys: KeyAuthority,
    private readonly dedupe: DedupeStore,
    private readonly log: EventLog,
    private readonly metrics: IngestionMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The caller's key, if it may ingest. Refusals are counted and nothing is written for them:
   * UnauthenticatedError (missing, unknown, revoked) or ForbiddenError (no ingest/backfill scope,
   * or none of `anyOf` when given: the catalogue asks for `catalog`).
   */
  async authorize(secret: string | undefined, route: Route, anyOf: readonly Scope[] = SCOPES_THAT_INGEST): Promise<ApiKeyRecord> {
    try {
      const key = await this.keys.authenticate(secret);
      requireScope(key, anyOf);
      return key;
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        const reason = !secret ? 'missing' : /revoked/.test(error.message) ? 'revoked' : 'unknown';
        this.metrics.unauthenticated.inc({ route, reason });
      } else if (error instanceof ForbiddenError) {
        this.metrics.forbidden.inc({ route });
      } else {
        throw asUnavailable(error, 'Redis (API keys)');
      }
      throw error;
    }
  }

  /**
   * Reserves room for a request of `bytes`; refuses with OverloadedError when too much is being
   * worked on already, so memory stays bounded whatever Kafka does. Call the result when done.
   */
  admit(bytes: number, route: Route): () => void {
    if (this.inflightBytes > 0 && this.inflightBytes + bytes > this.config.maxInflightBytes) {
      this.metrics.backPressure.inc({ route, kind: 'overloaded' });
      throw new OverloadedError(`ingestion is busy: ${this.inflightBytes} bytes of requests are being written`, 200);
    }
    this.inflightBytes += bytes;
    this.metrics.inflightBytes.set(this.inflightBytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflightBytes -= bytes;
      this.metrics.inflightBytes.set(this.inflightBytes);
    };
  }

  /** Sends a whole body that could not be read to the dead-letter topic (authenticated callers only). */
  async rejectBody(key: ApiKeyRecord, route: Route, problem: BodyProblem, payload: Buffer, originalSize: number): Promise<void> {
    this.metrics.rejected.inc({ route, reason: problem.code });
    const letter = this.deadLetter(key, route, problem.code, problem.reason, problem.field ?? '', payload, originalSize, '');
    await this.writeDeadLetters([KafkaProducer.encode(topics.deadLetters, null, letter)]);
  }

  async ingest(key: ApiKeyRecord, route: Route, input: IngestInput): Promise<IngestResult> {
    const count = input.events.length;
    this.metrics.batchSize.observe({ route }, count);
    await spendRate(this.keys, key, count, route, this.metrics);

    const nowMs = this.now();
    const window = timeWindow(key.scopes, nowMs, this.config.limits);
    const ingestedAt = BigInt(nowMs);
    const defaultSource = route === 'http' ? EventSource.HTTP : EventSource.GRPC;
    const valid: Event[] = [];
    const validIndex: number[] = [];
    const rejected: Rejection[] = [];
    const rejectedRaw: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const index = input.kind === 'json' ? i : input.indexOffset + i;
      // `events[i]` is written out only for a refused event (ADR 0045).
      const path = input.kind === 'json' && input.single ? '' : index;
      const result =
        input.kind === 'json' ? eventFromJson(input.events[i], index, path, window) : eventFromProto(input.events[i]!, index, path, window);
      if (isRejection(result)) {
        rejected.push(result);
        rejectedRaw.push(input.events[i]);
        continue;
      }
      result.ingestedAtMs = ingestedAt;
      result.apiKeyId = key.id;
      if (result.source === EventSource.UNSPECIFIED) result.source = defaultSource;
      valid.push(result);
      validIndex.push(index);
    }

    // Encode, refuse events too large, and drop repeats inside the batch.
    const encoded = valid.length > 0 ? new EventEncoder().encodeAll(valid) : [];
    const seen = new Set<string>();
    const fresh: { event: Event; bytes: Buffer }[] = [];
    let duplicates = 0;
    for (let i = 0; i < valid.length; i++) {
      const event = valid[i]!;
      const bytes = encoded[i]!;
      if (bytes.length > this.config.limits.maxEventBytes) {
        const index = validIndex[i]!;
        rejected.push({
          index,
          eventId: event.eventId,
          field: input.kind === 'json' && input.single ? 'event' : `events[${index}]`,
          reason: `the event is ${bytes.length} bytes encoded; at most ${this.config.limits.maxEventBytes} are accepted`,
          code: 'too_large',
        });
        rejectedRaw.push(input.events[index - (input.kind === 'proto' ? input.indexOffset : 0)]);
        continue;
      }
      if (seen.has(event.eventId)) {
        duplicates++;
        continue;
      }
      seen.add(event.eventId);
      fresh.push({ event, bytes });
    }

    // Claim the ids; only the ones nobody wrote or is writing go to Kafka.
    const token = `${this.tokenPrefix}.${(this.tokenCounter++).toString(36)}`;
    let statuses: Awaited<ReturnType<DedupeStore['claim']>> = [];
    if (fresh.length > 0) {
      try {
        statuses = await this.dedupe.claim(
          fresh.map((f) => f.event.eventId),
          token,
        );
      } catch (error) {
        this.metrics.backPressure.inc({ route, kind: 'unavailable' });
        throw asUnavailable(error, 'Redis (dedupe)');
      }
    }
    const headers = injectTrace({});
    const records: OutgoingRecord[] = [];
    const claimed: string[] = [];
    const inFlight: string[] = [];
    for (let i = 0; i < fresh.length; i++) {
      const { event, bytes } = fresh[i]!;
      const status = statuses[i];
      if (status === 'duplicate') duplicates++;
      else if (status === 'in_flight') inFlight.push(event.eventId);
      else {
        claimed.push(event.eventId);
        records.push({ key: shopperKey(event), value: bytes, headers });
      }
    }

    const letters = rejected.map((r, i) => this.rejectionLetter(key, route, r, rejectedRaw[i]));
    const deadLetters = this.writeDeadLetters(letters);
    // The claims follow the write's real outcome, also when the answer cannot wait for it.
    const written = (records.length === 0 ? Promise.resolve() : this.log.writeEvents(records)).then(
      () => this.commitClaims(claimed),
      async (error: unknown) => {
        await this.releaseClaims(claimed, token);
        throw error;
      },
    );
    await acknowledged(written, {
      timeoutMs: this.config.kafkaAckTimeoutMs,
      late: 'the events may still be written: send them again (same ids) after Retry-After',
      route,
      metrics: this.metrics,
      alsoWait: deadLetters,
    });
    this.metrics.accepted.inc({ route }, records.length);
    if (duplicates > 0) this.metrics.duplicates.inc({ route }, duplicates);
    for (const r of rejected) this.metrics.rejected.inc({ route, reason: r.code });
    rejected.sort((a, b) => a.index - b.index);
    return { accepted: records.length, duplicates, rejected, inFlight };
  }

  private async commitClaims(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.dedupe.commit(ids);
    } catch (error) {
      this.metrics.dedupeCommitFailures.inc(ids.length);
      log('warn', 'events written but their ids could not be marked as seen (a retry within the claim TTL waits, later it may duplicate)', {
        error: String(error),
        ids: ids.length,
      });
    }
  }

  private async releaseClaims(ids: string[], token: string): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.dedupe.release(ids, token);
    } catch (error) {
      // The claims expire by themselves after the claim TTL; until then retries are told to wait.
      log('warn', 'could not release dedupe claims after a failed write', { error: String(error), ids: ids.length });
    }
  }

  private rejectionLetter(key: ApiKeyRecord, route: Route, rejection: Rejection, raw: unknown): OutgoingRecord {
    let payload: Buffer;
    if (route === 'grpc' && raw && typeof raw === 'object' && '$typeName' in raw) payload = Buffer.from(toBinary(EventSchema, raw as Event));
    else payload = Buffer.from(safeJson(raw), 'utf8');
    const letter = this.deadLetter(key, route, rejection.code, rejection.reason, rejection.field, payload, payload.length, rejection.eventId);
    const shopper = raw && typeof raw === 'object' ? shopperOf(raw as Record<string, unknown>) : '';
    return KafkaProducer.encode(topics.deadLetters, shopper || null, letter);
  }

  private deadLetter(key: ApiKeyRecord, route: Route, code: string, reason: string, field: string, payload: Buffer, originalSize: number, eventId: string) {
    const max = this.config.dlqMaxPayloadBytes;
    const truncated = payload.length > max;
    return {
      $typeName: 'clickwise.v1.DeadLetter' as const,
      stage: 'ingestion',
      source: route,
      reasonCode: code,
      reason,
      field,
      payload: truncated ? payload.subarray(0, max) : payload,
      truncated: truncated || originalSize > payload.length,
      originalSize,
      eventId,
      originalTopic: '',
      originalPartition: 0,
      originalOffset: 0n,
      apiKeyId: key.id,
      rejectedAtMs: BigInt(this.now()),
    } satisfies Parameters<typeof toBinary<typeof DeadLetterSchema>>[1];
  }

  private async writeDeadLetters(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.log.writeDeadLetters(records);
    } catch (error) {
      this.metrics.deadLetterFailures.inc(records.length);
      log('warn', 'could not write dead letters', { error: String(error), count: records.length });
    }
  }
}

function shopperOf(raw: Record<string, unknown>): string {
  const user = raw.userId;
  if (typeof user === 'string' && user !== '') return user.slice(0, 128);
  const anon = raw.anonymousId;
  return typeof anon === 'string' ? anon.slice(0, 128) : '';
}
