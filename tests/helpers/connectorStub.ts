/**
 * A loopback Bot Connector: records every outbound call the service makes (thread creation, posts, card updates,
 * proactive sends, member look-ups) and can answer with injected faults (429 + Retry-After, 503, 403).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback';

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
  /** The Retry-After header as given (an HTTP date, say), instead of seconds. */
  retryAfterHeader?: string;
  /** The answer waits for this: a request still in flight when its sender dies. */
  until?: Promise<void>;
}

export class ConnectorStub {
  readonly calls: RecordedCall[] = [];
  /** Users the stub reports as members of any team. */
  readonly members = new Set<string>();
  /** People of the team's roster by Entra object id or UPN, with the Teams id and name Teams would answer. */
  readonly people = new Map<string, { id: string; name: string; aadObjectId?: string }>();
  /** Teams with a roster of their own (by team id); other teams have `members`. */
  readonly teamMembers = new Map<string, Set<string>>();
  private server?: Server;
  private nextId = 1000;
  private faults: Array<{ match: (c: RecordedCall) => boolean; fault: Fault; remaining: number }> = [];
  private chaosRule?: (c: RecordedCall) => Fault | undefined;
  private waiters: Array<() => void> = [];
  url = '';
  /** Called with every recorded call (the benchmark's latency clock). */
  listener?: (call: RecordedCall) => void;
  /** Set false to keep no history (long benchmark runs). */
  keep = true;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  /** Until cleared, a share of matching calls fail with 429 (+ Retry-After) or 503; deterministic from `seed`. */
  chaos(options: { match: (c: RecordedCall) => boolean; rate429: number; rate503: number; retryAfterSeconds: number; seed: number }): void {
    let state = options.seed >>> 0;
    const random = () => {
      // mulberry32
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    this.chaosRule = (c) => {
      if (!options.match(c)) return undefined;
      const r = random();
      if (r < options.rate429) return { status: 429, retryAfterSeconds: options.retryAfterSeconds };
      if (r < options.rate429 + options.rate503) return { status: 503 };
      return undefined;
    };
  }

  clearFaults(): void {
    this.chaosRule = undefined;
    this.faults = [];
  }

  /** Calls to one conversation that arrived in the last `windowMs` (what Teams checks when a call arrives). */
  recentCount(conversationId: string, windowMs: number, now = Date.now()): number {
    return this.calls.filter((c) => c.conversationId === conversationId && c.kind !== 'member' && c.at > now - windowMs).length;
  }

  /** The most calls to one conversation within any window of `windowMs` (attempts count, failed ones too). */
  maxInWindow(conversationId: string, windowMs: number): number {
    const times = this.calls.filter((c) => c.conversationId === conversationId && c.kind !== 'member').map((c) => c.at).sort((a, b) => a - b);
    let best = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while (times[end] - times[start] >= windowMs) start++;
      best = Math.max(best, end - start + 1);
    }
    return best;
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

  /**
   * Files the stub serves as Teams does pasted images (`<base>/v3/attachments/<id>/views/original`): only to a caller
   * with the given bearer token. Every download is recorded.
   */
  readonly files = new Map<string, { bytes: Buffer; contentType: string; token?: string; /** answered instead of the file (a busy host) */ status?: number }>();
  readonly downloads: Array<{ id: string; authorization?: string; status: number }> = [];

  fileUrl(id: string, base = '/teams'): string {
    return `${this.url}${base}/v3/attachments/${encodeURIComponent(id)}/views/original`;
  }

  private serveFile(id: string, req: IncomingMessage, res: ServerResponse): void {
    const file = this.files.get(id);
    const status = !file ? 404 : file.token && req.headers.authorization !== `Bearer ${file.token}` ? 401 : (file.status ?? 200);
    this.downloads.push({ id, authorization: req.headers.authorization, status });
    // Not chained: restify (loaded in the same process) replaces writeHead with one that returns nothing.
    if (status !== 200 || !file) {
      res.writeHead(status);
      return void res.end();
    }
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const file = /\/v3\/attachments\/([^/]+)\/views\/original$/.exec((req.url ?? '').split('?')[0]);
    if (file && req.method === 'GET') return this.serveFile(decodeURIComponent(file[1]), req, res);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? JSON.parse(raw) : undefined;
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    const m = /^(.*?)\/v3\/conversations(?:\/(.+?))?(?:\/(activities|members|pagedmembers)(?:\/([^/]+))?)?$/.exec(path);
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
    } else if (m[3] === 'pagedmembers') {
      call.kind = 'member';
      call.conversationId = m[2];
      const own = this.teamMembers.get(m[2] ?? '');
      const ids = [...(own ?? this.members)];
      const people = [...this.people.values()].filter((p) => !own || own.has(p.id));
      reply = { members: [...people, ...ids.filter((id) => !people.some((p) => p.id === id)).map((id) => ({ id, name: `Member ${id}` }))] };
    } else if (m[3] === 'members') {
      call.kind = 'member';
      call.conversationId = m[2];
      const userId = m[4] ?? '';
      const person = this.people.get(userId.toLowerCase());
      if (person) reply = person;
      else if ((this.teamMembers.get(m[2] ?? '') ?? this.members).has(userId)) reply = { id: userId, name: `Member ${userId}` };
      else call.status = 404;
    } else if (m[3] === 'activities') {
      call.conversationId = m[2];
      call.activityId = m[4];
      call.kind = req.method === 'PUT' ? 'update' : m[4] ? 'reply' : 'send';
      reply = { id: m[4] ?? String(this.nextId++) };
    } else {
      call.status = 404;
    }
    const scripted = call.status < 300 ? this.faults.find((f) => f.remaining > 0 && f.match(call)) : undefined;
    if (scripted) scripted.remaining -= 1;
    const fault = call.status < 300 ? (scripted?.fault ?? this.chaosRule?.(call)) : undefined;
    if (fault) {
      call.status = fault.status;
      const retryAfter = fault.retryAfterHeader ?? (fault.retryAfterSeconds !== undefined ? String(fault.retryAfterSeconds) : undefined);
      if (retryAfter !== undefined) res.setHeader('Retry-After', retryAfter);
      reply = { error: { code: 'injected', message: `injected ${fault.status}` } };
    }
    if (this.keep) this.calls.push(call);
    this.listener?.(call);
    if (fault?.until) await fault.until;
    res.writeHead(call.status === 200 && call.kind === 'create' ? 201 : call.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply));
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}
