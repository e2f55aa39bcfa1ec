import type { OutgoingRecord } from '@clickwise/kafka';

/** A range's notices: its FeatureUpdates and dead letters, as they go to Kafka. */
export interface OutboxRecords {
  updates: OutgoingRecord[];
  deadLetters: OutgoingRecord[];
}

const NULL_KEY = 0xffffffff;

/**
 * The outbox a range's notices wait in, in Redis, from the state write to Kafka's ack (ADR 0037).
 * Binary, length-prefixed: u32 #updates, u32 #dead letters, then per record: u32 key length
 * (0xffffffff = null) + key (UTF-8), u32 value length + value, u16 #headers, per header u16 name
 * length + name, u32 value length + value (UTF-8).
 */
export function encodeOutbox(records: OutboxRecords): Buffer {
  const all = [...records.updates, ...records.deadLetters];
  let size = 8;
  const texts: [Buffer | null, [Buffer, Buffer][]][] = all.map((r) => {
    const key = r.key === null ? null : Buffer.from(r.key, 'utf8');
    const headers = Object.entries(r.headers ?? {}).map(([name, value]) => [Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8')] as [Buffer, Buffer]);
    size += 4 + (key?.length ?? 0) + 4 + r.value.length + 2;
    for (const [name, value] of headers) size += 2 + name.length + 4 + value.length;
    return [key, headers];
  });
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt32BE(records.updates.length, 0);
  at = out.writeUInt32BE(records.deadLetters.length, at);
  all.forEach((r, i) => {
    const [key, headers] = texts[i]!;
    at = out.writeUInt32BE(key === null ? NULL_KEY : key.length, at);
    if (key !== null) at += key.copy(out, at);
    at = out.writeUInt32BE(r.value.length, at);
    at += r.value.copy(out, at);
    at = out.writeUInt16BE(headers.length, at);
    for (const [name, value] of headers) {
      at = out.writeUInt16BE(name.length, at);
      at += name.copy(out, at);
      at = out.writeUInt32BE(value.length, at);
      at += value.copy(out, at);
    }
  });
  return out;
}

/** Reads what `encodeOutbox` wrote; throws on truncated or trailing bytes. */
export function decodeOutbox(bytes: Buffer): OutboxRecords {
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new Error(`malformed outbox: ${n} bytes wanted at ${at} of ${bytes.length}`);
  };
  const u32 = () => {
    need(4);
    const v = bytes.readUInt32BE(at);
    at += 4;
    return v;
  };
  const u16 = () => {
    need(2);
    const v = bytes.readUInt16BE(at);
    at += 2;
    return v;
  };
  const take = (n: number) => {
    need(n);
    const v = bytes.subarray(at, at + n);
    at += n;
    return v;
  };
  const updates = u32();
  const deadLetters = u32();
  const records: OutgoingRecord[] = [];
  for (let i = 0; i < updates + deadLetters; i++) {
    const keyLength = u32();
    const key = keyLength === NULL_KEY ? null : take(keyLength).toString('utf8');
    const value = Buffer.from(take(u32()));
    const headers: Record<string, string> = {};
    for (let h = u16(); h > 0; h--) {
      const name = take(u16()).toString('utf8');
      headers[name] = take(u32()).toString('utf8');
    }
    records.push({ key, value, headers });
  }
  if (at !== bytes.length) throw new Error(`malformed outbox: ${bytes.length - at} trailing bytes`);
  return { updates: records.slice(0, updates), deadLetters: records.slice(updates) };
}
