/**
 * The customer simulator: plays Copilot Studio (it calls the skill as Copilot Studio does) and the customer's Teams
 * chat (it answers the Bot Connector calls the service makes to reach the customer). A small web page shows the chat.
 * It is a separate program talking to the service over HTTP only; the service cannot tell it from the real thing
 * except that it sends no token (the service runs in local mode).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { BadRequest, listen, readJson, send, sendJson, stopServer, str } from '../httpHelpers';
import { copilotStudio, newSimulatedCustomer, type SimulatedCustomer } from './copilotStudioActivities';

export type LineKind = 'customer' | 'agent' | 'notice' | 'copilot';

export interface ChatLine {
  seq: number;
  kind: LineKind;
  /** Who wrote it, for agent lines (the service prefixes them with the agent's name). */
  from?: string;
  text: string;
  at: string;
  /** Images that came with the line (the service's signed links, or the customer's own upload). */
  images?: Array<{ url: string; name?: string }>;
  /** Buttons of a card that answer as the customer's own message (Teams imBack), e.g. the 1–5 survey. */
  choices?: Array<{ title: string; value: string }>;
}

/** with-copilot: Copilot Studio answers; live: the skill has the chat (queued or with an agent). */
export type ChatStatus = 'with-copilot' | 'live';

export interface SimulatorOptions {
  /** The skill endpoint, e.g. http://127.0.0.1:3978/api/messages. */
  skillEndpoint: string;
  port?: number;
  host?: string;
  customerName?: string;
  tenantId?: string;
}

const MAX_BODY_BYTES = 64 * 1024;
/** An attached image travels base64 in JSON: room for the service's 4 MB limit and a bit over (to try a refusal). */
const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
const AGENT_PREFIX = /^\*\*((?:\\.|[^*])+)\*\*: ([\s\S]*)$/;

export class CustomerSimulator {
  private server?: Server;
  private customer: SimulatedCustomer;
  private lines: ChatLine[] = [];
  /** Images the customer attached, served as Teams serves attachments, for the skill to fetch. */
  private files = new Map<string, { bytes: Buffer; contentType: string }>();
  private seq = 0;
  private waiters: Array<() => void> = [];
  status: ChatStatus = 'with-copilot';
  liveChatId?: string;
  url = '';
  private skillEndpoint: string;

  constructor(private readonly options: SimulatorOptions) {
    this.skillEndpoint = options.skillEndpoint;
    this.customer = newSimulatedCustomer(options.customerName ?? 'Ada Customer', options.tenantId ?? '00000000-0000-0000-0000-00000000c0de');
  }

  /** Copilot Studio's runtime URL as the skill sees it; `pvaruntime` makes the service route to Teams instead. */
  /** Where Copilot Studio sends the skill's activities (settable once the service's port is known). */
  setSkillEndpoint(url: string): void {
    this.skillEndpoint = url;
  }

  get runtimeServiceUrl(): string {
    return `${this.url}/pvaruntime/`;
  }

  /** What TEAMS_SERVICE_URL_BASE must be for the service to reach this simulated Teams chat. */
  get teamsServiceUrlBase(): string {
    return `${this.url}/teams/`;
  }

  get chat() {
    return { status: this.status, liveChatId: this.liveChatId, customer: { name: this.customer.name, conversationId: this.customer.conversationId }, lines: [...this.lines] };
  }

  async start(): Promise<this> {
    const page = readFileSync(join(__dirname, 'page.html'), 'utf8');
    this.server = createServer((req, res) =>
      void this.handle(req, res, page).catch((err) =>
        err instanceof BadRequest ? reply(res, 400, { error: err.message }) : reply(res, 500, { error: String(err) }),
      ),
    );
    this.url = await listen(this.server, this.options.port, this.options.host);
    return this;
  }

  stop(): Promise<void> {
    return stopServer(this.server);
  }

  /** The customer asks for a person: Copilot Studio's topic calls startConversation. */
  async askForPerson(problem: string, context: Record<string, string> = {}): Promise<void> {
    this.add('customer', problem || 'I would like to talk to a person.');
    await this.post(copilotStudio.startConversation(this.customer, this.runtimeServiceUrl, problem, { va_LastTopic: 'Escalate', ...context }));
  }

  /** A customer utterance: relayed by the skill while the chat is live, else answered by "Copilot". */
  async say(text: string): Promise<void> {
    this.add('customer', text);
    if (this.status === 'live') {
      await this.post(copilotStudio.sendMessage(this.customer, this.runtimeServiceUrl, text, this.liveChatId));
    } else {
      this.add('copilot', 'I am Copilot Studio (simulated). Press "Talk to a person" to reach the support team.');
    }
  }

  /** The customer attaches a file (an image, or anything else to see it refused), with optional text. */
  async attach(file: { name: string; contentType: string; bytes: Buffer }, text = ''): Promise<void> {
    const id = randomUUID();
    this.files.set(id, { bytes: file.bytes, contentType: file.contentType });
    const url = `${this.url}/teams/v3/attachments/${id}/views/original`;
    this.add('customer', text, undefined, file.contentType.startsWith('image/') ? { images: [{ url, name: file.name }] } : {});
    if (this.status !== 'live') return this.add('copilot', 'I am Copilot Studio (simulated). Press "Talk to a person" to reach the support team.');
    const attachments = [{ contentType: file.contentType, contentUrl: url, name: file.name }];
    await this.post({ ...copilotStudio.sendMessage(this.customer, this.runtimeServiceUrl, text, this.liveChatId), attachments });
  }

  /** The customer ends the live chat: Copilot Studio calls endConversation. */
  async end(): Promise<void> {
    this.add('customer', '(ends the chat)');
    await this.post(copilotStudio.endConversation(this.customer, this.runtimeServiceUrl, this.liveChatId));
  }

  /** A new customer chat (new conversation and user ids). */
  reset(name?: string): void {
    this.customer = newSimulatedCustomer(name ?? this.customer.name, this.customer.tenantId);
    this.lines = [];
    this.status = 'with-copilot';
    this.liveChatId = undefined;
  }

  /** Resolves with the first line that matches, waiting up to `timeoutMs`. */
  async waitForLine(match: (l: ChatLine) => boolean, timeoutMs = 15_000): Promise<ChatLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching chat line within ${timeoutMs} ms; lines: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, left);
        this.waiters.push(() => (clearTimeout(t), ok()));
      });
    }
  }

  private add(kind: LineKind, text: string, from?: string, extra: Pick<ChatLine, 'images' | 'choices'> = {}): void {
    this.lines.push({ seq: ++this.seq, kind, text, ...(from ? { from } : {}), at: new Date().toISOString(), ...extra });
    for (const w of this.waiters.splice(0)) w();
  }

  private async post(activity: { id: string; attachments?: unknown[] }): Promise<void> {
    const res = await fetch(this.skillEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
    if (!res.ok) {
      const body = await res.text();
      this.add('notice', `The skill answered ${res.status}: ${body.slice(0, 300)}`);
      throw new SkillCallError(res.status, body);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse, page: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/') return send(res, 200, 'text/html; charset=utf-8', page);
    if (req.method === 'GET' && path === '/api/chat') return reply(res, 200, this.chat);
    const attachment = /^\/teams\/v3\/attachments\/([^/]+)\/views\/original$/.exec(path);
    if (attachment && req.method === 'GET') {
      const file = this.files.get(attachment[1]);
      if (!file) return reply(res, 404, { error: 'no such attachment' });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length });
      return void res.end(file.bytes);
    }
    const connector = /^\/(pvaruntime|teams)\/.*v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
    if (connector && (req.method === 'POST' || req.method === 'PUT')) {
      const activity = await readJson(req, MAX_BODY_BYTES);
      if (connector[1] === 'pvaruntime') this.fromSkill(activity);
      else this.toCustomer(activity);
      return reply(res, 200, { id: randomUUID() });
    }
    if (req.method !== 'POST') return reply(res, 404, { error: `no route for ${req.method} ${path}` });
    const body = await readJson(req, path === '/api/attach' ? MAX_UPLOAD_BYTES : MAX_BODY_BYTES);
    try {
      switch (path) {
        case '/api/attach':
          await this.attach({ name: str(body.name) || 'file', contentType: str(body.contentType) || 'application/octet-stream', bytes: Buffer.from(str(body.data), 'base64') }, str(body.text));
          break;
        case '/api/start':
          await this.askForPerson(str(body.problem), typeof body.context === 'object' && body.context ? body.context : {});
          break;
        case '/api/say':
          if (!str(body.text).trim()) return reply(res, 400, { error: 'text is required' });
          await this.say(str(body.text));
          break;
        case '/api/end':
          await this.end();
          break;
        case '/api/new':
          this.reset(str(body.name) || undefined);
          break;
        default:
          return reply(res, 404, { error: `no route for POST ${path}` });
      }
    } catch (err) {
      if (err instanceof SkillCallError) return reply(res, 502, { error: `the skill answered ${err.status}`, body: err.body });
      throw err;
    }
    reply(res, 200, this.chat);
  }

  /** Copilot Studio's runtime hears the skill's endOfConversation: the live chat ended or started. */
  private fromSkill(a: any): void {
    if (a?.type !== 'endOfConversation') return;
    const id = a.value?.LiveChatConversationId;
    if (a.name === 'startConversation' && a.code === 'completedSuccessfully') {
      this.liveChatId = id;
      this.status = 'live';
      this.add('copilot', `Connecting you to a person (live chat ${id}).`);
      return;
    }
    this.status = 'with-copilot';
    this.liveChatId = undefined;
    const rated = a.value?.Rating ? `, rated ${a.value.Rating} / 5` : '';
    this.add('copilot', `The live chat has ended${a.value?.Reason ? ` (${a.value.Reason}${rated})` : ''}; Copilot Studio has the conversation again.`);
  }

  /** A message reaching the customer's Teams chat: an agent's line ("**Name**: text"), a notice, images, a card. */
  private toCustomer(a: any): void {
    if (a?.type !== 'message') return;
    const attachments: any[] = Array.isArray(a.attachments) ? a.attachments : [];
    const images = attachments.filter((x) => /^image\//.test(x?.contentType ?? '') && typeof x.contentUrl === 'string').map((x) => ({ url: x.contentUrl as string, name: x.name as string | undefined }));
    const card = attachments.find((x) => x?.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
    if (card) {
      // What Teams shows of a card: its text blocks, and buttons that send their imBack value as the customer's message.
      const text = (card.body ?? []).filter((b: any) => b?.type === 'TextBlock').map((b: any) => String(b.text)).join('\n');
      const choices = (card.actions ?? []).filter((x: any) => x?.data?.msteams?.type === 'imBack').map((x: any) => ({ title: String(x.title), value: String(x.data.msteams.value) }));
      return this.add('notice', text, undefined, { choices });
    }
    const text = typeof a.text === 'string' ? a.text : '';
    const extra = images.length ? { images } : {};
    const m = AGENT_PREFIX.exec(text);
    if (m) this.add('agent', m[2], m[1].replace(/\\(.)/g, '$1'), extra);
    else this.add('notice', text, undefined, extra);
  }
}

export class SkillCallError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`the skill answered ${status}`);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body);
}
