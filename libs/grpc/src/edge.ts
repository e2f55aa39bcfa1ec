import { readFileSync } from 'node:fs';
import type { DescFile, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { requireScope, type ApiKeyRecord, type Scope } from '@clickwise/api-keys';
import { ClickwiseError, InvalidInputError, OverloadedError, UnavailableError } from '@clickwise/errors';
import { apiKeyFromGrpc, logger, toGrpcStatus, type ApiKeyAuthority, type LifecyclePart } from '@clickwise/service';
import { Histogram, LATENCY_BUCKETS, type Registry } from '@clickwise/telemetry';
import * as grpc from '@grpc/grpc-js';
import { addHealth, addReflection, bindServer, shutdownServer, type GrpcHealth, type Readiness } from './server.js';
import { serviceDefinition } from './service.js';

type MethodShape = GenServiceMethods[string];
type In<M extends MethodShape> = MessageShape<M['input']>;
type Out<M extends MethodShape> = MessageShape<M['output']>;

/** Files of a server's TLS (PEM); none: plaintext; cert + key: TLS; + client CA: mutual TLS. */
export interface TlsFiles {
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  tlsClientCaFile?: string | undefined;
}

/**
 * Plaintext, TLS (`<PREFIX>_TLS_CERT` + `<PREFIX>_TLS_KEY`) or mutual TLS (+ `<PREFIX>_TLS_CLIENT_CA`);
 * `envPrefix` only names the variables in the errors.
 */
export function serverCredentials(tls: TlsFiles, envPrefix: string): grpc.ServerCredentials {
  const { tlsCertFile, tlsKeyFile, tlsClientCaFile } = tls;
  const name = (suffix: string) => `${envPrefix}_TLS_${suffix}`;
  if (!tlsCertFile && !tlsKeyFile) {
    if (tlsClientCaFile) throw new InvalidInputError(`${name('CLIENT_CA')} needs ${name('CERT')} and ${name('KEY')}`, name('CLIENT_CA'));
    return grpc.ServerCredentials.createInsecure();
  }
  if (!tlsCertFile || !tlsKeyFile) throw new InvalidInputError(`set both ${name('CERT')} and ${name('KEY')} (or neither)`, tlsCertFile ? name('KEY') : name('CERT'));
  const ca = tlsClientCaFile ? readFileSync(tlsClientCaFile) : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: readFileSync(tlsCertFile), private_key: readFileSync(tlsKeyFile) }], ca !== null);
}

/** What a service's edge is configured with (most of it straight from its config). */
export interface GrpcEdgeOptions extends TlsFiles {
  /** Prefix of the service's variables (PREDICTION, RECOMMENDER), named in refusals and TLS errors. */
  envPrefix: string;
  host: string;
  grpcPort: number;
  /** Unary calls worked on at once; past it a call gets RESOURCE_EXHAUSTED with retry-after-ms. */
  maxInflight: number;
  /** How long the last authenticated key is reused without asking the authority (ms; 0: never). */
  apiKeyCacheTtlMs: number;
  /** Who the callers are (libs/service ApiKeyAuthority over Redis; tests pass a plain fake). */
  keys: Pick<ApiKeyAuthority, 'authenticate'>;
  /** The service's readiness; gRPC health says SERVING exactly while it is ready. */
  readiness: Readiness;
  /** Where `clickwise_grpc_server_duration_seconds` is registered (the service's /metrics). */
  registry: Registry;
  /** Generated files served by reflection. */
  files: readonly DescFile[];
  maxReceiveBytes?: number;
}

/** A unary method: the request in, the response out; a thrown domain error becomes its status. */
type UnaryHandler<M extends MethodShape> = (request: In<M>, call: grpc.ServerUnaryCall<In<M>, Out<M>>) => Promise<Out<M>>;

/**
 * A server-streaming method: the handler owns the stream and calls `finish` once when it ends
 * (no argument: OK; an error: mapped to its status), which also records the call.
 */
type StreamHandler<M extends MethodShape> = (call: grpc.ServerWritableStream<In<M>, Out<M>>, finish: (error?: unknown) => void) => void;

export type EdgeHandler<M extends MethodShape> = M['methodKind'] extends 'unary' ? UnaryHandler<M> : M['methodKind'] extends 'server_streaming' ? StreamHandler<M> : never;

export type EdgeHandlers<T extends GenServiceMethods> = { [K in keyof T]: EdgeHandler<T[K]> };

/** Passed deadline of a call (grpc-js has then already answered DEADLINE_EXCEEDED). */
function deadlinePassed(call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getDeadline'>): boolean {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && ms <= Date.now();
}

/**
 * `clickwise_grpc_server_duration_seconds{method,code}` (the registry adds `service`): every gRPC
 * call a service handles, by method and status code. GrpcEdge times its calls into it; a service
 * with its own gRPC server (ingestion's client streams) registers the same histogram.
 */
export function grpcServerDuration(registry: Registry): Histogram<'method' | 'code'> {
  return new Histogram({
    name: 'clickwise_grpc_server_duration_seconds',
    help: 'gRPC calls handled, by method and status code: from the call to its answer (streams: to their end)',
    labelNames: ['method', 'code'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
}

/**
 * The gRPC edge every serving service shares: one server with its generated services, standard
 * health checking that follows readiness and reflection; API keys from the `x-api-key` metadata
 * with scopes; admission (RESOURCE_EXHAUSTED with retry-after past `maxInflight` unary calls); no
 * work for a call whose deadline passed; domain errors mapped once (toGrpcStatus); and every call
 * timed into `clickwise_grpc_server_duration_seconds{service,method,code}`.
 */
export class GrpcEdge {
  private readonly server: grpc.Server;
  private readonly duration: Histogram<'method' | 'code'>;
  private health: GrpcHealth | undefined;
  private inflightCalls = 0;
  private boundPort = 0;
  private readonly services: string[] = [];
  /** The last key authenticated, reused for apiKeyCacheTtlMs (one busy client sends one key). */
  private lastKey: { secret: string; record: ApiKeyRecord; untilMs: number } | undefined;

  constructor(private readonly options: GrpcEdgeOptions) {
    this.server = new grpc.Server({ 'grpc.max_receive_message_length': options.maxReceiveBytes ?? 4 * 1024 * 1024 });
    this.duration = grpcServerDuration(options.registry);
  }

  get port(): number {
    return this.boundPort;
  }

  /** Unary calls being worked on now. */
  get inflight(): number {
    return this.inflightCalls;
  }

  /** Adds a generated service; call before `start`. */
  serve<T extends GenServiceMethods>(service: GenService<T>, handlers: EdgeHandlers<T>): void {
    const definition = serviceDefinition(service);
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const handler = (handlers as Record<string, unknown>)[method.localName];
      if (method.methodKind !== 'unary' && method.methodKind !== 'server_streaming') throw new Error(`${service.typeName}/${method.name}: GrpcEdge serves unary and server-streaming methods`);
      if (typeof handler !== 'function') throw new Error(`${service.typeName}/${method.name} has no handler`);
      if (method.methodKind === 'unary') implementation[method.localName] = this.unary(method.name, handler as UnaryHandler<MethodShape>);
      else implementation[method.localName] = this.stream(method.name, handler as StreamHandler<MethodShape>);
    }
    this.server.addService(definition, implementation);
    this.services.push(service.typeName);
  }

  async start(): Promise<number> {
    this.health = addHealth(this.server, this.services, this.options.readiness);
    addReflection(this.server, this.options.files);
    this.boundPort = await bindServer(this.server, `${this.options.host}:${this.options.grpcPort}`, serverCredentials(this.options, this.options.envPrefix));
    return this.boundPort;
  }

  /** The edge as the service's last lifecycle part: it listens once everything else started, and drains first on shutdown. */
  part(graceMs: number): LifecyclePart {
    return {
      name: 'grpc',
      start: async () => logger.info('gRPC listening', { port: await this.start() }),
      drain: () => this.stop(graceMs),
    };
  }

  /** NOT_SERVING at once, then stops taking calls and waits for running ones up to `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.health?.set(false);
    await shutdownServer(this.server, graceMs);
  }

  /** The caller's key from the metadata, if it has one of `anyOf`; Redis failures are UNAVAILABLE. */
  async authorize(metadata: grpc.Metadata, anyOf: readonly Scope[]): Promise<ApiKeyRecord> {
    const secret = apiKeyFromGrpc(metadata);
    const last = this.lastKey;
    if (last && secret === last.secret && Date.now() < last.untilMs) {
      requireScope(last.record, anyOf);
      return last.record;
    }
    let key: ApiKeyRecord;
    try {
      key = await this.options.keys.authenticate(secret);
    } catch (error) {
      if (error instanceof ClickwiseError) throw error;
      throw new UnavailableError(`Redis (API keys) did not answer: ${error instanceof Error ? error.message : String(error)}`, 1000);
    }
    if (secret && this.options.apiKeyCacheTtlMs > 0) this.lastKey = { secret, record: key, untilMs: Date.now() + this.options.apiKeyCacheTtlMs };
    requireScope(key, anyOf);
    return key;
  }

  private record(method: string, startedMs: number, error: unknown): void {
    const code = error === undefined ? 'OK' : grpc.status[toGrpcStatus(error).code];
    this.duration.observe({ method, code }, (performance.now() - startedMs) / 1000);
  }

  private unary(method: string, handler: UnaryHandler<MethodShape>): grpc.handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      const started = performance.now();
      const answer = (error: unknown, response?: unknown) => {
        this.record(method, started, error);
        if (error === undefined) callback(null, response);
        else callback(toGrpcStatus(error));
      };
      const { maxInflight, envPrefix } = this.options;
      if (this.inflightCalls >= maxInflight) {
        answer(new OverloadedError(`${this.inflightCalls} calls are in progress (${envPrefix}_MAX_INFLIGHT ${maxInflight}); retry shortly`, 50));
        return;
      }
      this.inflightCalls++;
      const run = async () => {
        // grpc-js has already answered DEADLINE_EXCEEDED; do no work for a caller that gave up.
        if (deadlinePassed(call)) throw new UnavailableError("the call's deadline passed before it was started", 0);
        return handler(call.request as In<MethodShape>, call as grpc.ServerUnaryCall<In<MethodShape>, Out<MethodShape>>);
      };
      run()
        .finally(() => this.inflightCalls--)
        .then(
          (response) => answer(undefined, response),
          (error: unknown) => answer(error ?? new Error('rejected without a reason')),
        );
    };
  }

  private stream(method: string, handler: StreamHandler<MethodShape>): grpc.handleServerStreamingCall<unknown, unknown> {
    return (call) => {
      const started = performance.now();
      let finished = false;
      const finish = (error?: unknown) => {
        if (finished) return;
        finished = true;
        this.record(method, started, error);
        if (error === undefined) call.end();
        else call.emit('error', toGrpcStatus(error));
      };
      handler(call as grpc.ServerWritableStream<In<MethodShape>, Out<MethodShape>>, finish);
    };
  }
}
