import { EventSource, type Event, type EventContext } from '@clickwise/contracts';

/**
 * A hand-written protobuf encoder for clickwise.v1.Event, the hot path of ingestion (tens of
 * thousands of events a second). It writes every event of a request into one buffer and hands out
 * views, instead of one allocation per event; strings that are ASCII are copied byte by byte.
 * Its output is byte-for-byte what protobuf-es `toBinary(EventSchema, …)` writes (a test compares
 * them on random events), so any protobuf reader decodes it. If event.proto changes, change this
 * and the test fails until it matches.
 */
export class EventEncoder {
  private buf: Buffer;
  private pos = 0;

  /**
   * `initialBytes`: the least each `encodeAll` allocates. The default sizes each request's buffer by
   * its events (256 bytes each, grown when needed): a small request must not pin a large buffer
   * (its views live until Kafka acknowledged), and small buffers come from Node's shared pool.
   */
  constructor(private readonly initialBytes = 0) {
    this.buf = Buffer.alloc(0);
  }

  /** Encodes each event; the returned buffers are views into one allocation, in order. */
  encodeAll(events: readonly Event[]): Buffer[] {
    this.buf = Buffer.allocUnsafe(Math.max(this.initialBytes, events.length * 256, 256));
    this.pos = 0;
    const ends: number[] = new Array<number>(events.length);
    for (let i = 0; i < events.length; i++) {
      this.event(events[i]!);
      ends[i] = this.pos;
    }
    const out: Buffer[] = new Array<Buffer>(events.length);
    let start = 0;
    for (let i = 0; i < events.length; i++) {
      out[i] = this.buf.subarray(start, ends[i]);
      start = ends[i]!;
    }
    return out;
  }

  /** Encodes one event into a buffer of its own. */
  encode(event: Event): Buffer {
    return this.encodeAll([event])[0]!;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private event(e: Event): void {
    this.str(0x0a, e.eventId);
    this.enumField(0x10, e.type);
    this.str(0x1a, e.userId);
    this.str(0x22, e.anonymousId);
    this.str(0x2a, e.sessionId);
    this.str(0x32, e.itemId);
    this.str(0x3a, e.categoryId);
    if (e.price !== undefined) {
      this.ensure(9);
      this.buf[this.pos++] = 0x41;
      this.buf.writeDoubleLE(e.price, this.pos);
      this.pos += 8;
    }
    this.str(0x4a, e.currency);
    if (e.quantity !== undefined) this.int32(0x50, e.quantity);
    this.str(0x5a, e.searchQuery);
    this.str(0x62, e.reviewText);
    if (e.reviewRating !== undefined) this.int32(0x68, e.reviewRating);
    this.str(0x72, e.recommendationId);
    for (const id of e.itemIds) this.str(0x7a, id, true);
    this.int64(0x80, e.eventTimeMs);
    if (e.context !== undefined) this.context(e.context);
    this.int64(0x90, e.ingestedAtMs);
    if (e.source !== EventSource.UNSPECIFIED) {
      this.ensure(2);
      this.buf[this.pos++] = 0x98;
      this.buf[this.pos++] = 0x01;
      this.varint(e.source);
    }
    this.str2(0xa2, e.apiKeyId);
  }

  private context(c: EventContext): void {
    this.ensure(3);
    this.buf[this.pos++] = 0x8a;
    this.buf[this.pos++] = 0x01;
    const lenPos = this.pos++;
    const start = this.pos;
    this.str(0x0a, c.device);
    this.str(0x12, c.referrer);
    this.str(0x1a, c.page);
    this.str(0x22, c.userAgent);
    this.str(0x2a, c.locale);
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[lenPos] = len;
      return;
    }
    // Rare: a context over 127 bytes needs a longer length prefix; move the body up.
    const extra = varintSize(len) - 1;
    this.ensure(extra);
    this.buf.copyWithin(start + extra, start, this.pos);
    this.pos = lenPos;
    this.varint(len);
    this.pos += len;
  }

  private enumField(tag: number, value: number): void {
    if (value === 0) return;
    this.int32(tag, value);
  }

  private int32(tag: number, value: number): void {
    this.ensure(11);
    this.buf[this.pos++] = tag;
    if (value >= 0) this.varint(value);
    else this.varint64(BigInt.asUintN(64, BigInt(value)));
  }

  /** int64 with a two-byte tag (fields 16..2047 use two bytes; ours are 16 and 18). */
  private int64(tag: number, value: bigint): void {
    if (value === 0n) return;
    this.ensure(12);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = 0x01;
    if (value > 0n && value <= 9007199254740991n) this.varint(Number(value));
    else this.varint64(BigInt.asUintN(64, value));
  }

  private varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let v = value;
    while (v > 0x7fffffff) {
      buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  private varint64(value: bigint): void {
    this.ensure(10);
    let v = value;
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  /** A string field with a one-byte tag; `always` writes it even when empty (repeated). */
  private str(tag: number, s: string, always = false): void {
    const n = s.length;
    if (n === 0 && !always) return;
    this.ensure(n * 3 + 12);
    const buf = this.buf;
    buf[this.pos++] = tag;
    this.strBody(s, buf, n);
  }

  /** A string field with a two-byte tag (field 20). */
  private str2(tag: number, s: string): void {
    const n = s.length;
    if (n === 0) return;
    this.ensure(n * 3 + 13);
    const buf = this.buf;
    buf[this.pos++] = tag;
    buf[this.pos++] = 0x01;
    this.strBody(s, buf, n);
  }

  private strBody(s: string, buf: Buffer, n: number): void {
    if (n < 0x80) {
      const lenPos = this.pos;
      let p = lenPos + 1;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buf[p++] = c;
      }
      if (ascii) {
        buf[lenPos] = n;
        this.pos = p;
        return;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.pos += buf.write(s, this.pos, 'utf8');
  }
}

function varintSize(v: number): number {
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}
