import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as grpc from '@grpc/grpc-js';

type MethodShape = GenServiceMethods[string];
type In<M extends MethodShape> = MessageShape<M['input']>;
type Out<M extends MethodShape> = MessageShape<M['output']>;

/** The grpc-js handler type of one protobuf-es method, by its kind. */
export type HandlerFor<M extends MethodShape> = M['methodKind'] extends 'unary'
  ? grpc.handleUnaryCall<In<M>, Out<M>>
  : M['methodKind'] extends 'client_streaming'
    ? grpc.handleClientStreamingCall<In<M>, Out<M>>
    : M['methodKind'] extends 'server_streaming'
      ? grpc.handleServerStreamingCall<In<M>, Out<M>>
      : grpc.handleBidiStreamingCall<In<M>, Out<M>>;

/** Handlers for every method of a generated service, keyed by the method's local name. */
export type ServiceHandlers<T extends GenServiceMethods> = { [K in keyof T]: HandlerFor<T[K]> };

/** A Buffer over the same memory (grpc-js wants a Buffer; `Buffer.from(bytes)` would copy each message). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function codec<S extends DescMessage>(schema: S) {
  return {
    serialize: (value: MessageShape<S>) => asBuffer(toBinary(schema, value)),
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  };
}

function methods(service: { methods: readonly DescMethod[] }): readonly DescMethod[] {
  return service.methods;
}

/**
 * Turns a protobuf-es generated service descriptor into a grpc-js ServiceDefinition: paths
 * `/<package>.<Service>/<Method>`, streaming flags from the method kind, and protobuf-es binary
 * (de)serialization. No hand-written interfaces: request and response types come from the
 * generated schemas.
 */
export function serviceDefinition<T extends GenServiceMethods>(service: GenService<T>): grpc.ServiceDefinition<ServiceHandlers<T>> {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of methods(service)) {
    const input = codec(method.input);
    const output = codec(method.output);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: input.serialize as (value: unknown) => Buffer,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize as (value: unknown) => Buffer,
      responseDeserialize: output.deserialize,
      originalName: method.localName,
    };
  }
  return definition as grpc.ServiceDefinition<ServiceHandlers<T>>;
}

/** Adds a generated service with typed handlers to a grpc-js server. */
export function addService<T extends GenServiceMethods>(server: grpc.Server, service: GenService<T>, handlers: ServiceHandlers<T>): void {
  server.addService(serviceDefinition(service), handlers);
}

export interface CallOptions {
  metadata?: Record<string, string>;
  /** Deadline in ms from now. */
  timeoutMs?: number;
}

/** A client-streaming call: write requests, then `end()` resolves with the single response. */
export interface ClientStream<I extends DescMessage, O extends DescMessage> {
  write(request: MessageInitShape<I>): boolean;
  end(): Promise<MessageShape<O>>;
  /** The underlying grpc-js stream (for back-pressure via 'drain', or cancel()). */
  call: grpc.ClientWritableStream<MessageShape<I>>;
}

type ClientMethod<M extends MethodShape> = M['methodKind'] extends 'unary'
  ? (request: MessageInitShape<M['input']>, options?: CallOptions) => Promise<Out<M>>
  : M['methodKind'] extends 'client_streaming'
    ? (options?: CallOptions) => ClientStream<M['input'], M['output']>
    : M['methodKind'] extends 'server_streaming'
      ? (request: MessageInitShape<M['input']>, options?: CallOptions) => grpc.ClientReadableStream<Out<M>>
      : (options?: CallOptions) => grpc.ClientDuplexStream<In<M>, Out<M>>;

/** A typed client: one promise- or stream-returning function per method, plus `close()`. */
export type ServiceClient<T extends GenServiceMethods> = { [K in keyof T]: ClientMethod<T[K]> } & {
  close(): void;
  raw: grpc.Client;
};

function toMetadata(values: Record<string, string> | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(values ?? {})) metadata.set(key, value);
  return metadata;
}

function callOptions(options: CallOptions | undefined): grpc.CallOptions {
  return options?.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
}

/** A grpc-js client for a generated service (grpc-js underneath, protobuf-es messages on top). */
export function createClient<T extends GenServiceMethods>(
  service: GenService<T>,
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options?: grpc.ClientOptions,
): ServiceClient<T> {
  const raw = new grpc.Client(address, credentials, options);
  const client: Record<string, unknown> = {
    raw,
    close: () => raw.close(),
  };
  for (const method of methods(service)) {
    const path = `/${service.typeName}/${method.name}`;
    const input = codec(method.input);
    const output = codec(method.output);
    const make = (init: MessageInitShape<DescMessage>) => create(method.input, init);
    switch (method.methodKind) {
      case 'unary':
        client[method.localName] = (request: MessageInitShape<DescMessage>, options?: CallOptions) =>
          new Promise((resolve, reject) => {
            raw.makeUnaryRequest(path, input.serialize, output.deserialize, make(request), toMetadata(options?.metadata), callOptions(options), (error, response) => {
              if (error) reject(error);
              else resolve(response);
            });
          });
        break;
      case 'client_streaming':
        client[method.localName] = (options?: CallOptions) => {
          let settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | undefined;
          let outcome: { error?: grpc.ServiceError | null; response?: unknown } | undefined;
          const call = raw.makeClientStreamRequest(path, input.serialize, output.deserialize, toMetadata(options?.metadata), callOptions(options), (error, response) => {
            outcome = { error, response };
            if (settle) {
              if (error) settle.reject(error);
              else settle.resolve(response);
            }
          });
          return {
            call,
            write: (request: MessageInitShape<DescMessage>) => call.write(make(request)),
            end: () =>
              new Promise((resolve, reject) => {
                settle = { resolve, reject };
                call.end();
                if (outcome) {
                  if (outcome.error) reject(outcome.error);
                  else resolve(outcome.response);
                }
              }),
          };
        };
        break;
      case 'server_streaming':
        client[method.localName] = (request: MessageInitShape<DescMessage>, options?: CallOptions) =>
          raw.makeServerStreamRequest(path, input.serialize, output.deserialize, make(request), toMetadata(options?.metadata), callOptions(options));
        break;
      case 'bidi_streaming':
        client[method.localName] = (options?: CallOptions) =>
          raw.makeBidiStreamRequest(path, input.serialize, output.deserialize, toMetadata(options?.metadata), callOptions(options));
        break;
    }
  }
  return client as ServiceClient<T>;
}

/** First value of a metadata key as a string, if any. */
export function metadataValue(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}
