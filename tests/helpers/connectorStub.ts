/**
 * A loopback Bot Connector: records every outbound call the service makes (thread creation, posts, card updates,
 * proactive sends, member look-ups) and can answer with injected faults (429 + Retry-After, 503, 403).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type CallKind = 'create' | 'send' | 'reply' | 'update' | 'member';

export interface RecordedCall {
  kind: CallKind;
  method: string;
  /** The first path segment(s) before /v3: which service URL was called. */
  base: string;
  conversationId?: string;
  activityId?: string;
  body: any;
  authorization?: string;
  at: number;
  status: number;
}

export interface Fault {
  status: number;
  retryAfterSeconds?: number;
}

export class ConnectorStub {
  readonly calls: RecordedCall[] = [];
  /** Users the stub reports as members of any team. */
  readonly members = new Set<string>();
  private server?: Server;
  private nextId = 1000;
  private faults: Array<{ match: (c: RecordedCall) => boolean; fault: Fault; remaining: number }> = [];
  private waiters: Array<() => void> = [];
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', () => ok()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => this.server?.close(() => ok()) ?? ok());
  }

  /** The next `times` calls matching `match` get `fault` instead of success. */
  inject(match: (c: RecordedCall) => boolean, fault: Fault, times = 1): void {
    this.faults.push({ match, fault, remaining: times });
  }

  successful(kind?: CallKind, base?: string): RecordedCall[] {
    return this.calls.filter((c) => c.status < 300 && (!kind || c.kind === kind) && (!base || c.base === base));
  }

  /** Resolves when `predicate` holds over the recorded calls; rejects after `timeoutMs`. */
  async waitFor(predicate: (calls: RecordedCall[]) => boolean, timeoutMs = 10_000, what = 'connector calls'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.calls)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; recorded: ${JSON.stringify(this.calls.map((c) => [c.kind, c.base, c.status, c.body?.text ?? '']))}`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? JSON.parse(raw) : undefined;
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    const m = /^(.*?)\/v3\/conversations(?:\/(.+?))?(?:\/(activities|members)(?:\/([^/]+))?)?$/.exec(path);
    const call: RecordedCall = { kind: 'send', method: req.method ?? '', base: m?.[1] ?? path, body, authorization: req.headers.authorization, at: Date.now(), status: 200 };
    let reply: unknown = {};
    if (!m) {
      call.status = 404;
    } else if (!m[2] && req.method === 'POST') {
      call.kind = 'create';
      const activityId = String(this.nextId++);
      const channelId = body?.channelData?.channel?.id ?? 'unknown';
      reply = { id: `${channelId};messageid=${activityId}`, activityId };
      call.conversationId = `${channelId};messageid=${activityId}`;
      call.activityId = activityId;
    } else if (m[3] === 'members') {
      call.kind = 'member';
      call.conversationId = m[2];
      const userId = m[4] ?? '';
      if (this.members.has(userId)) reply = { id: userId, name: `Member ${userId}` };
      else call.status = 404;
    } else if (m[3] === 'activities') {
      call.conversationId = m[2];
      call.activityId = m[4];
      call.kind = req.method === 'PUT' ? 'update' : m[4] ? 'reply' : 'send';
      reply = { id: m[4] ?? String(this.nextId++) };
    } else {
      call.status = 404;
    }
    const fault = this.faults.find((f) => f.remaining > 0 && f.match(call));
    if (fault && call.status < 300) {
      fault.remaining -= 1;
      call.status = fault.fault.status;
      if (fault.fault.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(fault.fault.retryAfterSeconds));
      reply = { error: { code: 'injected', message: `injected ${fault.fault.status}` } };
    }
    this.calls.push(call);
    res.writeHead(call.status === 200 && call.kind === 'create' ? 201 : call.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply));
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}
