import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { TopicSpec } from '@clickwise/contracts';
import { injectTrace } from './trace.js';

/** A record ready for the wire. */
export interface OutgoingRecord {
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

/**
 * One catalogue topic bound to a platform's prefix and its key function: the only way code names a
 * topic (no `prefix + name` strings).
 */
export class Topic<S extends DescMessage = DescMessage> {
  /** The topic's full name on the broker (prefix + catalogue name). */
  readonly name: string;

  constructor(
    readonly spec: TopicSpec<S>,
    readonly prefix: string,
  ) {
    this.name = prefix + spec.name;
  }

  /** The record key of `value` by the catalogue's key function (null when the topic has none). */
  keyOf(value: MessageShape<S>): string | null {
    return this.spec.keyOf ? this.spec.keyOf(value) : null;
  }

  /**
   * Encodes `value` with the topic's schema, keyed by its key function unless `key` is given, with
   * the active trace context in its headers. `encoded`: the value's bytes when the caller already
   * has them (`toBinary` of `value` with the topic's schema), so one message is not encoded twice.
   */
  record(value: MessageShape<S>, options: { key?: string | null; headers?: Record<string, string>; encoded?: Uint8Array } = {}): OutgoingRecord {
    return this.encodedRecord(options.key !== undefined ? options.key : this.keyOf(value), options.encoded ?? toBinary(this.spec.value, value), options.headers);
  }

  /**
   * A record of a value already encoded with the topic's schema (`encoded`, by a writer that never
   * built the message), keyed `key`, with the active trace context in its headers.
   */
  encodedRecord(key: string | null, encoded: Uint8Array, headers: Record<string, string> = {}): OutgoingRecord {
    return { key, value: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength), headers: injectTrace(headers) };
  }
}
