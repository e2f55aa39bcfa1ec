import { context, propagation, type Context } from '@opentelemetry/api';
import type { RecordHeaders } from './adapter.js';

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
export function extractTrace(headers: RecordHeaders | undefined): Context {
  return propagation.extract(context.active(), headers ?? {}, {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => headerOf(carrier, key),
  });
}

/** The first value of header `name` as text, if any. */
export function headerOf(headers: RecordHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** The raw traceparent header of a record, if any. */
export function traceparentOf(headers: RecordHeaders | undefined): string {
  return headerOf(headers, 'traceparent') ?? '';
}
