import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * CPU load: `workers` child processes that spin for at most `maxMs` (they end by themselves if the
 * test dies), so the services and the replay compete for the cores as on a busy machine.
 */
export class CpuBurner {
  private readonly children: ChildProcess[] = [];

  constructor(workers: number, maxMs: number) {
    for (let i = 0; i < workers; i++) {
      this.children.push(spawn(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);`], { stdio: 'ignore' }));
    }
  }

  stop(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

/**
 * An HTTP proxy in front of ingestion that holds chosen requests (by arrival number, 1-based) for
 * `delayMs` before forwarding them: a slow early batch, as a congested network or a busy server
 * thread makes one. Everything else passes straight through.
 */
export class DelayingProxy {
  /** Requests seen for the path, in arrival order. */
  seen = 0;
  delayed = 0;
  private server: Server | undefined;
  private constructor() {}

  static async start(target: string, options: { path: string; delay: readonly number[]; delayMs: number }): Promise<DelayingProxy> {
    const upstream = new URL(target);
    const proxy = new DelayingProxy();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = req.method === 'POST' && req.url === options.path ? ++proxy.seen : 0;
        const hold = options.delay.includes(n) ? options.delayMs : 0;
        if (hold > 0) proxy.delayed++;
        setTimeout(() => {
          const out = request(
            { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          out.on('error', (error) => res.writeHead(502).end(String(error)));
          out.end(Buffer.concat(chunks));
        }, hold);
      });
    });
    proxy.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
