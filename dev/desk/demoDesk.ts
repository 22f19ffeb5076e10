/**
 * A small live-chat desk of our own that speaks the reference sample's contract: the service calls its
 * /api/chat/start, /receive and /end; its web page lists the live conversations (problem and context), and an agent
 * joins, answers and closes there. Every agent action reaches the service as a Standard Webhooks-signed call to
 * /api/livechat/messages. Conversations live in memory. For local use and tests only.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { BadRequest, listen, readJson, send as sendText, sendJson as send, stopServer, str } from '../httpHelpers';

export interface DemoDeskOptions {
  /** Where the service takes the desk's agents' messages, e.g. http://127.0.0.1:3978/api/livechat/messages. */
  webhookUrl: string;
  /** The Standard Webhooks secret (whsec_…) the service verifies with. */
  secret: string;
  /** When set, calls from the service must carry it as X-API-Key. */
  apiKey?: string;
  port?: number;
  host?: string;
}

export interface DeskLine {
  from: string;
  text: string;
  at: string;
  images?: string[];
}

export interface DeskConversation {
  id: string;
  escalationId: string;
  customerName: string;
  problem: string;
  context: Record<string, string>;
  queue: string;
  status: 'waiting' | 'with an agent' | 'closed by the agent' | 'customer left';
  agent?: string;
  lines: DeskLine[];
}

const MAX_BODY_BYTES = 256 * 1024;

export class DemoDesk {
  readonly conversations = new Map<string, DeskConversation>();
  url = '';
  private server?: Server;
  private readonly signer: Webhook;

  constructor(private readonly options: DemoDeskOptions) {
    this.signer = new Webhook(options.secret);
  }

  /** Where the service listens (settable once its port is known). */
  setWebhookUrl(url: string): void {
    this.options.webhookUrl = url;
  }

  async start(): Promise<this> {
    const page = readFileSync(join(__dirname, 'page.html'), 'utf8');
    this.server = createServer((req, res) =>
      void this.handle(req, res, page).catch((err) => send(res, err instanceof BadRequest ? 400 : 500, { error: String((err as Error).message ?? err) })),
    );
    this.url = await listen(this.server, this.options.port, this.options.host);
    return this;
  }

  stop(): Promise<void> {
    return stopServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse, page: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/') return sendText(res, 200, 'text/html; charset=utf-8', page);
    if (req.method === 'GET' && path === '/api/conversations') return send(res, 200, [...this.conversations.values()].reverse());
    if (req.method !== 'POST') return send(res, 404, { error: `no route for ${req.method} ${path}` });
    const body = await readJson(req, MAX_BODY_BYTES);
    if (path.startsWith('/api/chat/')) {
      if (this.options.apiKey && req.headers['x-api-key'] !== this.options.apiKey) return send(res, 401, { error: 'wrong or missing X-API-Key' });
      return this.fromService(path, body, res);
    }
    const m = /^\/api\/conversations\/([^/]+)\/(join|say|close)$/.exec(path);
    const c = m ? this.conversations.get(decodeURIComponent(m[1])) : undefined;
    if (!m || !c) return send(res, 404, { error: 'no such conversation' });
    const agent = str(body.agent).trim() || c.agent || 'Demo Agent';
    if (m[2] === 'join') {
      const r = await this.webhook({ conversationId: c.id, sender: agent, type: 'joined' });
      if (r.ok) Object.assign(c, { status: 'with an agent', agent });
      return send(res, r.status, r.body);
    }
    if (m[2] === 'say') {
      const text = str(body.text).trim();
      if (!text) return send(res, 400, { error: 'text is required' });
      const r = await this.webhook({ conversationId: c.id, message: text, sender: agent, id: randomUUID() });
      if (r.ok) c.lines.push({ from: agent, text, at: new Date().toISOString() });
      return send(res, r.status, r.body);
    }
    const r = await this.webhook({ conversationId: c.id, sender: agent, type: 'ended' });
    if (r.ok) c.status = 'closed by the agent';
    return send(res, r.status, r.body);
  }

  /** The contract's three calls, as the service makes them. */
  private fromService(path: string, body: any, res: ServerResponse): void {
    if (path === '/api/chat/start') {
      const id = `demo-${randomUUID().slice(0, 8)}`;
      const context = body.context && typeof body.context === 'object' ? body.context : {};
      this.conversations.set(id, { id, escalationId: str(body.escalationId), customerName: str(body.customerName) || 'Customer', problem: str(body.problem), context, queue: str(body.queue), status: 'waiting', lines: [] });
      return send(res, 200, { conversationId: id });
    }
    const c = this.conversations.get(str(body.conversationId));
    if (!c) return send(res, 404, { error: 'no such conversation' });
    if (path === '/api/chat/receive') {
      const images = Array.isArray(body.attachments) ? body.attachments.map((a: any) => str(a?.contentUrl)).filter(Boolean) : [];
      c.lines.push({ from: str(body.sender) || 'Customer', text: str(body.message), at: new Date().toISOString(), ...(images.length ? { images } : {}) });
      return send(res, 200, {});
    }
    if (path === '/api/chat/end') {
      if (c.status !== 'closed by the agent') c.status = 'customer left';
      return send(res, 200, {});
    }
    send(res, 404, { error: `no route ${path}` });
  }

  /** Signs and sends an agent action to the service. */
  private async webhook(payload: Record<string, unknown>): Promise<{ ok: boolean; status: number; body: unknown }> {
    const raw = JSON.stringify(payload);
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    const res = await fetch(this.options.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': this.signer.sign(id, at, raw) },
      body: raw,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      /* the service's answer as text */
    }
    return { ok: res.ok, status: res.status, body };
  }
}
