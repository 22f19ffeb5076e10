/**
 * A live-chat desk at the network edge, speaking the reference sample's contract: records every call to
 * /api/chat/start, /receive and /end (with its headers), answers start with a new conversation id, and fails as told.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback';

export interface DeskCall {
  path: string;
  body: any;
  apiKey?: string;
  idempotencyKey?: string;
  status: number;
}

export class LiveChatDeskStub {
  readonly calls: DeskCall[] = [];
  url = '';
  /** Statuses to answer, in order, per path (then 200). */
  readonly failures = new Map<string, number[]>();
  /** When set, every call to a path matching it answers 503. */
  down?: RegExp;
  /** Answer start with a plain JSON string (as the reference sample does) instead of `{ conversationId }`. */
  plainStart = false;
  /** Answer start with this conversation id every time (a desk that restarted its count). */
  sameId?: string;
  /** Answer start with this body as text/html, as a web server at a wrong base URL would. */
  pageStart?: string;
  private server?: Server;
  private next = 1;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> {
    return this.server ? closeServer(this.server) : Promise.resolve();
  }

  ok(path: string): DeskCall[] {
    return this.calls.filter((c) => c.path === path && c.status === 200);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0];
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const queued = this.failures.get(path);
    const status = this.down?.test(path) ? 503 : queued?.length ? queued.shift()! : ['/api/chat/start', '/api/chat/receive', '/api/chat/end'].includes(path) ? 200 : 404;
    this.calls.push({ path, body, apiKey: req.headers['x-api-key'] as string | undefined, idempotencyKey: req.headers['idempotency-key'] as string | undefined, status });
    let answer: unknown = {};
    if (status === 200 && path === '/api/chat/start') {
      if (this.pageStart !== undefined) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(this.pageStart);
        return;
      }
      const id = this.sameId ?? `lc-${this.next++}`;
      answer = this.plainStart ? id : { conversationId: id };
    }
    // Not chained: restify, loaded in the same process, replaces writeHead with one that returns nothing.
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '0' } : {}) });
    res.end(JSON.stringify(answer));
  }
}
