import { randomBytes } from 'node:crypto';
import { httpAnswer, log } from '@clickwise/service';
import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleConfig } from './config.js';
import { ConsoleAuth, clearedCookie, keyCookie } from './console-auth.js';
import { ConsoleBoard } from './console.board.js';
import { deniedPage, statusPage } from './page.js';

/** How often an open stream checks that its key still holds (a revoked key stops streaming within this, ms). */
const RECHECK_MS = 10_000;

const secure = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

function pageHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    // Everything the page needs is inline (its script and style carry the nonce) or this origin's JSON/SSE.
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}

/**
 * The status page (GET /), its data as JSON (GET /api/status) and as server-sent events
 * (GET /api/stream), read-only, each behind an `ops` key. `/?key=<ops key>` checks the key once,
 * keeps it in an HttpOnly cookie and redirects to `/`, so the key leaves the address bar.
 */
@Controller()
export class ConsoleController {
  constructor(
    private readonly auth: ConsoleAuth,
    private readonly board: ConsoleBoard,
    private readonly config: ConsoleConfig,
  ) {}

  @Get()
  async page(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const nonce = randomBytes(16).toString('base64');
    const query = request.query as Record<string, unknown> | undefined;
    const fromQuery = typeof query?.key === 'string' && query.key !== '' ? query.key : undefined;
    try {
      if (fromQuery) {
        await this.auth.check(fromQuery);
        await reply
          .code(303)
          .headers({ location: '/', 'set-cookie': keyCookie(fromQuery, this.config.cookieMaxAgeS, secure(request)), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
          .send();
        return;
      }
      await this.auth.authorize(request);
      await reply.code(200).headers(pageHeaders(nonce)).send(statusPage(nonce));
    } catch (error) {
      const answer = httpAnswer(error);
      if (answer.status >= 500) throw error;
      const message = (answer.body as { error: { message: string } }).error.message;
      await reply.code(answer.status).headers({ ...answer.headers, ...pageHeaders(nonce) }).send(deniedPage(nonce, answer.status, message));
    }
  }

  @Get('logout')
  async logout(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await reply.code(303).headers({ location: '/', 'set-cookie': clearedCookie(secure(request)), 'cache-control': 'no-store' }).send();
  }

  /** The chart history and the state now. */
  @Get('api/status')
  async status(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.auth.authorize(request);
    await reply.code(200).header('cache-control', 'no-store').send({ ticks: this.board.history(), state: this.board.state() });
  }

  /**
   * Server-sent events: `snapshot` (the history and the state) at once, then a `tick` (one point of
   * every chart and the state) every CONSOLE_POLL_MS. The key is checked again every 10 s; a key
   * revoked meanwhile ends the stream with a `denied` event.
   */
  @Get('api/stream')
  async stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const key = this.auth.presented(request);
    await this.auth.check(key);
    if (this.board.streams >= this.config.maxStreams) {
      await reply.code(429).header('retry-after', '5').send({ error: { code: 'overloaded', message: `at most ${this.config.maxStreams} status streams at once` } });
      return;
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    raw.write('retry: 2000\n\n');
    send('snapshot', { ticks: this.board.history(), state: this.board.state() });
    let recheck: NodeJS.Timeout | undefined = undefined;
    const end = () => {
      clearInterval(recheck);
      unsubscribe();
      if (!raw.writableEnded) raw.end();
    };
    const unsubscribe = this.board.subscribe({ message: (message) => send('tick', message), close: end });
    recheck = setInterval(() => {
      this.auth.check(key).catch((error: unknown) => {
        send('denied', { status: httpAnswer(error).status, message: error instanceof Error ? error.message : String(error) });
        log('info', 'status stream ended: its key no longer holds', { error: String(error) });
        end();
      });
    }, RECHECK_MS);
    recheck.unref();
    request.raw.once('close', end);
  }
}
