/**
 * Domain errors. They never know about HTTP or gRPC: each edge has one mapper that translates
 * them. `retriable` says whether the same call may succeed later (kafkajs does the same).
 */
export abstract class ClickwiseError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input is wrong; sending it again will not help. */
export class InvalidInputError extends ClickwiseError {
  readonly code = 'invalid_input';
  readonly retriable = false;

  constructor(
    message: string,
    /** Path of the offending field, e.g. `events[3].price`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The caller did not prove who it is. */
export class UnauthenticatedError extends ClickwiseError {
  readonly code = 'unauthenticated';
  readonly retriable = false;
}

/** The caller is known but lacks a scope. */
export class ForbiddenError extends ClickwiseError {
  readonly code = 'forbidden';
  readonly retriable = false;
}

/** Something asked for does not exist. */
export class NotFoundError extends ClickwiseError {
  readonly code = 'not_found';
  readonly retriable = false;
}

/** Too much at once: the caller should slow down and retry after `retryAfterMs`. */
export class OverloadedError extends ClickwiseError {
  readonly code = 'overloaded';
  readonly retriable = true;

  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** A dependency (Kafka, Redis) is not answering; retrying later may work. */
export class UnavailableError extends ClickwiseError {
  readonly code = 'unavailable';
  readonly retriable = true;

  constructor(
    message: string,
    readonly retryAfterMs = 1000,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Whether an unknown thrown value is worth retrying. Unknown errors are treated as retriable. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof ClickwiseError) return error.retriable;
  if (typeof error === 'object' && error !== null && 'retriable' in error) {
    return Boolean(error.retriable);
  }
  return true;
}
