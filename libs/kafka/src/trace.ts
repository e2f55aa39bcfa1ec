import { context, propagation, type Context } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

/** Writes the active trace context (W3C traceparent/tracestate) into Kafka record headers. */
export function injectTrace(headers: Record<string, string>, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
  return headers;
}

/** Reads the trace context a producer put into a record's headers. */
export function extractTrace(headers: IHeaders | undefined): Context {
  return propagation.extract(context.active(), headers ?? {}, {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => {
      const value = carrier[key];
      const first = Array.isArray(value) ? value[0] : value;
      return first === undefined ? undefined : first.toString();
    },
  });
}

/** The raw traceparent header of a record, if any. */
export function traceparentOf(headers: IHeaders | undefined): string {
  const value = headers?.traceparent;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? '' : first.toString();
}
