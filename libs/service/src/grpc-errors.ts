import { ClickwiseError, ForbiddenError, InvalidInputError, NotFoundError, OverloadedError, UnauthenticatedError, UnavailableError } from '@clickwise/errors';
import * as grpc from '@grpc/grpc-js';

/** A status for a grpc-js callback or `call.emit('error', …)`. */
export interface GrpcStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/**
 * The one mapping of domain errors (libs/errors) to gRPC status codes (beside `httpAnswer`). Back-pressure carries its delay as
 * `retry-after-ms` (and `grpc-retry-pushback-ms`, which grpc retry policies honour).
 */
export function toGrpcStatus(error: unknown): GrpcStatus {
  const metadata = new grpc.Metadata();
  const message = error instanceof Error ? error.message : String(error);
  const retryAfter = (ms: number) => {
    metadata.set('retry-after-ms', String(Math.ceil(ms)));
    metadata.set('grpc-retry-pushback-ms', String(Math.ceil(ms)));
  };
  if (error instanceof InvalidInputError) {
    if (error.field) metadata.set('x-field', error.field);
    return { code: grpc.status.INVALID_ARGUMENT, details: message, metadata };
  }
  if (error instanceof UnauthenticatedError) return { code: grpc.status.UNAUTHENTICATED, details: message, metadata };
  if (error instanceof ForbiddenError) return { code: grpc.status.PERMISSION_DENIED, details: message, metadata };
  if (error instanceof NotFoundError) return { code: grpc.status.NOT_FOUND, details: message, metadata };
  if (error instanceof OverloadedError) {
    retryAfter(error.retryAfterMs);
    return { code: grpc.status.RESOURCE_EXHAUSTED, details: message, metadata };
  }
  if (error instanceof UnavailableError) {
    retryAfter(error.retryAfterMs);
    return { code: grpc.status.UNAVAILABLE, details: message, metadata };
  }
  if (error instanceof ClickwiseError) return { code: grpc.status.FAILED_PRECONDITION, details: message, metadata };
  return { code: grpc.status.INTERNAL, details: `internal error: ${message}`, metadata };
}
