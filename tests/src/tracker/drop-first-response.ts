import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/**
 * A real HTTP hop in front of the ingestion service that forwards every request, and for the
 * first `drops` POSTs lets the service answer and then cuts the client's connection instead of
 * relaying the answer — the client sees a network error after its events were accepted, as when
 * a connection dies on the way back. Fault injection on the wire, not a fake of the service.
 */
export class DropFirstResponses {
  private server: Server | undefined;
  /** Requests seen (method, path, status the service gave, whether the answer was dropped). */
  readonly seen: { method: string; path: string; status: number; dropped: boolean }[] = [];

  constructor(
    private readonly target: string,
    private drops: number,
  ) {}

  async start(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const upstream = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer: IncomingMessage) => {
            const body: Buffer[] = [];
            answer.on('data', (c: Buffer) => body.push(c));
            answer.on('end', () => {
              const drop = req.method === 'POST' && this.drops > 0;
              this.seen.push({ method: req.method ?? '', path: req.url ?? '', status: answer.statusCode ?? 0, dropped: drop });
              if (drop) {
                this.drops--;
                req.socket.destroy();
                return;
              }
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(body));
            });
          },
        );
        upstream.on('error', () => req.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (typeof address !== 'object' || !address) throw new Error('proxy has no address');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
