import type { ApiKeyRecord } from '@clickwise/api-keys';
import {
  file_clickwise_v1_ingest,
  IngestBatchRequestSchema,
  IngestBatchResponseSchema,
  IngestService,
  IngestStreamResponseSchema,
  PutCatalogItemsRequestSchema,
  PutCatalogItemsResponseSchema,
  type CatalogItem,
  type EventRejection,
  type IngestStreamRequest,
  type IngestStreamResponse,
} from '@clickwise/contracts';
import { InvalidInputError, UnavailableError } from '@clickwise/errors';
import { addHealth, addReflection, addService, bindServer, metadataValue, shutdownServer, type GrpcHealth } from '@clickwise/grpc';
import { apiKeyFromGrpc, log, toGrpcStatus, type Health } from '@clickwise/service';
import { extractContext } from '@clickwise/telemetry';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { checkItemCount, type CatalogIngestion } from './catalog.service.js';
import { type IngestionConfig } from './config.js';
import { type IngestionMetrics } from './ingestion.metrics.js';
import { type IngestionService, type IngestResult } from './ingestion.service.js';
import type { BodyProblem, Rejection } from './validation.js';

const tracer = trace.getTracer('clickwise-ingestion');
const SERVICE = IngestService.typeName;
/** Most rejections one stream reports before it is refused as a whole. */
const MAX_STREAM_REJECTIONS = 10_000;
/** Rough bytes per event, for admission of already-decoded gRPC messages. */
const EVENT_BYTES_ESTIMATE = 512;
/** Rough bytes per catalogue item, likewise. */
const CATALOG_ITEM_BYTES_ESTIMATE = 256;

function traceHeaders(metadata: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate', 'baggage']) {
    const v = metadataValue(metadata, name);
    if (v) out[name] = v;
  }
  return out;
}

function rejectionMessage(r: Rejection): EventRejection {
  return { $typeName: 'clickwise.v1.EventRejection', index: r.index, eventId: r.eventId, field: r.field, reason: r.reason };
}

function inFlightError(result: IngestResult): UnavailableError {
  return new UnavailableError(`${result.inFlight.length} events are being written by another request right now; send the same events again`, 1000);
}

/** The gRPC edge: IngestService (unary and client-streaming), health checking and reflection. */
export class IngestGrpcServer {
  private readonly server: grpc.Server;
  private health: GrpcHealth | undefined;
  private boundPort = 0;

  constructor(
    private readonly ingestion: IngestionService,
    private readonly config: IngestionConfig,
    private readonly healthService: Health,
    private readonly metrics: IngestionMetrics,
    private readonly catalog: CatalogIngestion,
  ) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': config.limits.maxBatchBytes,
      'grpc.max_send_message_length': 16 * 1024 * 1024,
    });
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    addService(this.server, IngestService, {
      ingestBatch: (call, callback) => {
        void this.traced('IngestBatch', call.metadata, () => this.ingestBatch(call.metadata, call.request.events)).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcStatus(error)),
        );
      },
      ingestStream: (call, callback) => {
        this.ingestStream(call, callback);
      },
      putCatalogItems: (call, callback) => {
        void this.traced('PutCatalogItems', call.metadata, () => this.putCatalogItems(call.metadata, call.request.items)).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcStatus(error)),
        );
      },
    });
    this.health = addHealth(this.server, [SERVICE], this.healthService);
    addReflection(this.server, [file_clickwise_v1_ingest]);
    this.boundPort = await bindServer(this.server, `${this.config.host}:${this.config.grpcPort}`);
    return this.boundPort;
  }

  async stop(graceMs: number): Promise<void> {
    this.health?.set(false);
    await shutdownServer(this.server, graceMs);
  }

  private async traced<T>(method: string, metadata: grpc.Metadata, run: () => Promise<T>, count = true): Promise<T> {
    const started = performance.now();
    let code: grpc.status = grpc.status.OK;
    try {
      return await context.with(extractContext(traceHeaders(metadata)), () =>
        tracer.startActiveSpan(`${SERVICE}/${method}`, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.method': method } }, async (span) => {
          try {
            return await run();
          } catch (error) {
            code = toGrpcStatus(error).code;
            span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
            throw error;
          } finally {
            span.setAttribute('rpc.grpc.status_code', code);
            span.end();
          }
        }),
      );
    } finally {
      if (count) {
        this.metrics.requests.inc({ route: 'grpc', status: grpc.status[code] });
        this.metrics.latency.observe({ route: 'grpc' }, (performance.now() - started) / 1000);
        this.metrics.grpc.observe({ method, code: grpc.status[code] }, (performance.now() - started) / 1000);
      }
    }
  }

  /** Refuses an empty or too large message; the message goes to the dead-letter topic. */
  private async checkCount(key: ApiKeyRecord, events: IngestStreamRequest['events']): Promise<void> {
    const count = events.length;
    let problem: BodyProblem | undefined;
    if (count === 0) problem = { status: 400, code: 'invalid_body', field: 'events', reason: 'events is empty: send at least one event' };
    else if (count > this.config.limits.maxBatchEvents) {
      problem = { status: 413, code: 'too_many_events', field: 'events', reason: `${count} events in one message; at most ${this.config.limits.maxBatchEvents} are accepted (split the batch)` };
    }
    if (!problem) return;
    const payload = Buffer.from(toBinary(IngestBatchRequestSchema, create(IngestBatchRequestSchema, { events })));
    await this.ingestion.rejectBody(key, 'grpc', problem, payload, payload.length);
    throw new InvalidInputError(problem.reason, problem.field);
  }

  private async ingestBatch(metadata: grpc.Metadata, events: IngestStreamRequest['events']) {
    const key = await this.ingestion.authorize(apiKeyFromGrpc(metadata), 'grpc');
    await this.checkCount(key, events);
    const release = this.ingestion.admit(events.length * EVENT_BYTES_ESTIMATE, 'grpc');
    try {
      const result = await this.ingestion.ingest(key, 'grpc', { kind: 'proto', events, indexOffset: 0 });
      if (result.inFlight.length > 0) throw inFlightError(result);
      return create(IngestBatchResponseSchema, { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected.map(rejectionMessage) });
    } finally {
      release();
    }
  }

  /** Catalogue updates (ADR 0098): the `catalog` scope, per-item validation, bad items to the DLQ. */
  private async putCatalogItems(metadata: grpc.Metadata, items: CatalogItem[]) {
    const key = await this.ingestion.authorize(apiKeyFromGrpc(metadata), 'grpc', ['catalog']);
    const counted = checkItemCount(items);
    if (!counted.ok) {
      const payload = Buffer.from(toBinary(PutCatalogItemsRequestSchema, create(PutCatalogItemsRequestSchema, { items })));
      await this.ingestion.rejectBody(key, 'grpc', counted.problem, payload, payload.length);
      throw new InvalidInputError(counted.problem.reason, counted.problem.field);
    }
    const release = this.ingestion.admit(items.length * CATALOG_ITEM_BYTES_ESTIMATE, 'grpc');
    try {
      const result = await this.catalog.put(key, 'grpc', { kind: 'proto', items });
      if (result.accepted === 0) {
        const first = result.rejected[0];
        const message = result.rejected.length === 1 && first ? `${first.field}: ${first.reason}` : `all ${result.rejected.length} items were rejected`;
        throw new InvalidInputError(message, first?.field);
      }
      return create(PutCatalogItemsResponseSchema, {
        accepted: result.accepted,
        rejected: result.rejected.map((r) => ({ index: r.index, itemId: r.itemId, field: r.field, reason: r.reason })),
      });
    } finally {
      release();
    }
  }

  /**
   * Many batches on one stream. Each message is written (and acknowledged by Kafka) before the next
   * is read: the stream is paused meanwhile, so a fast client cannot pile messages up in memory.
   * The answer, with totals, comes when the client half-closes; the first error ends the stream.
   */
  private ingestStream(call: grpc.ServerReadableStream<IngestStreamRequest, IngestStreamResponse>, callback: grpc.sendUnaryData<IngestStreamResponse>): void {
    let key: ApiKeyRecord | undefined;
    let failed = false;
    let ended = false;
    let busy = false;
    let offset = 0;
    const queue: IngestStreamRequest[] = [];
    const totals = { accepted: 0, duplicates: 0, rejected: [] as EventRejection[] };
    const started = performance.now();
    let finished = false;

    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      const status = error === undefined ? grpc.status.OK : toGrpcStatus(error).code;
      this.metrics.requests.inc({ route: 'grpc', status: grpc.status[status] });
      this.metrics.latency.observe({ route: 'grpc' }, (performance.now() - started) / 1000);
      this.metrics.grpc.observe({ method: 'IngestStream', code: grpc.status[status] }, (performance.now() - started) / 1000);
      if (error === undefined) callback(null, create(IngestStreamResponseSchema, totals));
      else callback(toGrpcStatus(error));
    };
    const fail = (error: unknown) => {
      failed = true;
      queue.length = 0;
      call.removeAllListeners('data');
      finish(error);
    };
    const pump = async () => {
      if (busy || failed) return;
      busy = true;
      try {
        while (!failed && queue.length > 0) {
          const message = queue.shift()!;
          await this.checkCount(key!, message.events);
          const release = this.ingestion.admit(message.events.length * EVENT_BYTES_ESTIMATE, 'grpc');
          try {
            const result = await this.traced('IngestStream', call.metadata, () =>
              this.ingestion.ingest(key!, 'grpc', { kind: 'proto', events: message.events, indexOffset: offset }),
              false,
            );
            if (result.inFlight.length > 0) throw inFlightError(result);
            offset += message.events.length;
            totals.accepted += result.accepted;
            totals.duplicates += result.duplicates;
            for (const r of result.rejected) totals.rejected.push(rejectionMessage(r));
            if (totals.rejected.length > MAX_STREAM_REJECTIONS) {
              throw new InvalidInputError(`more than ${MAX_STREAM_REJECTIONS} events of this stream were rejected; fix the producer`, 'events');
            }
          } finally {
            release();
          }
        }
      } catch (error) {
        fail(error);
        return;
      } finally {
        busy = false;
      }
      if (ended && queue.length === 0) finish(undefined);
      else if (!failed) call.resume();
    };

    call.pause();
    this.ingestion.authorize(apiKeyFromGrpc(call.metadata), 'grpc').then(
      (record) => {
        key = record;
        call.on('data', (message: IngestStreamRequest) => {
          queue.push(message);
          call.pause();
          void pump();
        });
        call.on('end', () => {
          ended = true;
          if (!busy && queue.length === 0 && !failed) finish(undefined);
        });
        call.resume();
      },
      (error: unknown) => fail(error),
    );
    call.on('error', (error) => {
      log('debug', 'ingest stream ended by the client', { error: String(error) });
      failed = true;
    });
    call.on('cancelled', () => {
      failed = true;
    });
  }
}
