import { PayloadTooLargeException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** A request body as bytes, read without decoding so invalid UTF-8 can be detected. */
export interface RawBody {
  /** The whole body, or undefined when it was larger than the limit. */
  bytes: Buffer | undefined;
  /** Its size in bytes (all of it, also when too large). */
  size: number;
  /** The first bytes (up to the dead-letter payload limit), kept also when the body was too large. */
  prefix: Buffer;
}

/**
 * Replaces Fastify's body parsers with one that reads any content type as raw bytes: the handler
 * checks the content type, UTF-8 and JSON itself, so every refusal gets the same precise answer
 * and, for an authenticated caller, a dead letter. Bodies over `maxBytes` are read to the end (up
 * to `hardCapBytes`) but only their prefix is kept. Past `hardCapBytes` the body is refused with
 * 413 without being kept; it is still drained (up to 16 × the cap) before the answer, so the client
 * reads a 413 instead of a broken pipe. Past that the connection is cut.
 */
export function installRawBodyParser(fastify: FastifyInstance, maxBytes: number, prefixBytes: number, hardCapBytes: number): void {
  fastify.removeAllContentTypeParsers();
  // Thrown into Nest's exception layer, which answers 413 with this body.
  const refuse = () =>
    new PayloadTooLargeException({ error: { code: 'too_large', message: `the body is over ${hardCapBytes} bytes; at most ${maxBytes} are accepted per request` } });
  const drainLimit = 16 * hardCapBytes;
  fastify.addContentTypeParser('*', (request, payload, done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    let over = false;
    /** Discards the rest of the body, then answers 413 (cutting the connection past drainLimit). */
    const refuseAfterDrain = () => {
      finished = true;
      chunks.length = 0;
      payload.removeAllListeners('data');
      payload.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > drainLimit) payload.destroy();
      });
      payload.once('end', () => done(refuse(), undefined));
      payload.once('close', () => {
        if (!payload.readableEnded) done(refuse(), undefined);
      });
      payload.resume();
    };
    if (Number(request.headers['content-length']) > hardCapBytes) {
      refuseAfterDrain();
      return;
    }
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else if (!over) {
        // Crossed the limit: keep only the prefix from now on.
        over = true;
        const kept = Buffer.from(Buffer.concat([...chunks, chunk]).subarray(0, prefixBytes));
        chunks.length = 0;
        chunks.push(kept);
      }
      if (size > hardCapBytes && !finished) refuseAfterDrain();
    });
    payload.on('error', (error) => {
      if (finished) return;
      finished = true;
      done(error, undefined);
    });
    payload.on('end', () => {
      if (finished) return;
      finished = true;
      if (size <= maxBytes) {
        const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        done(null, { bytes, size, prefix: bytes.subarray(0, prefixBytes) } satisfies RawBody);
      } else {
        const prefix = chunks.length > 0 ? chunks[0]!.subarray(0, prefixBytes) : Buffer.alloc(0);
        done(null, { bytes: undefined, size, prefix } satisfies RawBody);
      }
    });
  });
}
