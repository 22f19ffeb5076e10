/**
 * The one restify server: the skill, the agent console, the skill manifest and the health check.
 * Bodies are size-limited and shape-checked before any bot sees them.
 */
import restify, { type Request, type Response, type Server } from 'restify';
import type { Logger } from '../core/logger';
import { activityProblem, type ShapeNeeds } from './activityShape';
import { sendError } from './errorResponse';
import { policyPage } from './policyPages';

/** Processes one authenticated, well-formed activity and writes the response. */
export type ActivityEndpoint = {
  gate: (req: Request, res: Response) => Promise<boolean>;
  process: (req: Request, res: Response) => Promise<void>;
};

export interface ServerParts {
  maxBodyBytes: number;
  skill: ActivityEndpoint;
  console: ActivityEndpoint;
  manifest: () => unknown;
  /** Throws when the store does not answer; otherwise what the health check reports besides its status. */
  health: () => Promise<Record<string, unknown>>;
  /** A live-chat desk's signed webhook (livechat/liveChatWebhook.ts); absent when no live-chat desk is used. */
  liveChat?: (req: Request, res: Response) => Promise<void>;
  /** Serves stored images to holders of a signed link (fileRoute.ts). */
  files?: (req: Request, res: Response) => Promise<void>;
  /** Days a closed escalation is kept (said on the privacy page). */
  retentionDays: number;
  log: Logger;
}

export const routes = {
  skill: '/api/messages',
  console: '/api/console/messages',
  manifest: '/skill-manifest.json',
  health: '/healthz',
  files: '/files',
  liveChat: '/api/livechat/messages',
  privacy: '/privacy',
  terms: '/terms',
} as const;

/** restify's own refusals (the body parser, routing) in our codes. */
const RESTIFY_CODES: Record<number, string> = { 400: 'bad_request', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type' };

export function createServer(parts: ServerParts): Server {
  const { log } = parts;
  const server = restify.createServer({ name: 'teams-live-handover', handleUncaughtExceptions: false });
  // restify's body parser limits the compressed bytes it reads and then inflates without any limit: one small gzip
  // body, sent before any token is checked, could take a gigabyte. Neither Teams nor Copilot Studio compresses.
  server.pre((req: Request, res: Response, next: (proceed?: false) => void) => {
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      res.send(415, { error: 'unsupported_media_type', reason: `request bodies are accepted uncompressed only (content-encoding: ${encoding.slice(0, 40)})` });
      return next(false);
    }
    // `identity` means no encoding, but restify's reader refuses any Content-Encoding it does not inflate.
    if (encoding === 'identity') delete req.headers['content-encoding'];
    // Every body we take is JSON. Refused before the parser reads a byte: restify's reader does not limit multipart
    // bodies at all (its form parser takes 200 MB files into the temp folder and leaves them there).
    if (req.method === 'POST' && !req.is('json') && !req.is('application/*+json')) {
      res.send(415, { error: 'unsupported_media_type', reason: 'send the body as application/json' });
      return next(false);
    }
    return next();
  });
  server.use(restify.plugins.bodyParser({ maxBodySize: parts.maxBodyBytes, mapParams: false, mapFiles: false }));

  const activityRoute = (endpoint: ActivityEndpoint, needs: ShapeNeeds = {}) => async (req: Request, res: Response) => {
    try {
      if (!req.is('json') && !req.is('application/*+json')) {
        res.send(415, { error: 'unsupported_media_type', reason: 'send the activity as application/json' });
        return;
      }
      if (!(await endpoint.gate(req, res))) return;
      const problem = activityProblem(req.body, needs);
      if (problem) {
        res.send(400, { error: 'bad_request', reason: problem });
        return;
      }
      await endpoint.process(req, res);
    } catch (err) {
      sendError(res, err, log);
    }
  };

  server.post(routes.skill, activityRoute(parts.skill));
  server.post(routes.console, activityRoute(parts.console, { teamsAiIds: true }));

  server.get(routes.manifest, async (_req: Request, res: Response) => {
    res.send(200, parts.manifest());
  });

  /** Any error a handler throws is answered in one place (errorResponse.ts). */
  const guarded = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (err) {
      sendError(res, err, log);
    }
  };
  const liveChat = parts.liveChat;
  if (liveChat) {
    server.post(routes.liveChat, guarded(async (req, res) => {
      if (!req.is('json')) return void res.send(415, { error: 'unsupported_media_type', reason: 'send the message as application/json' });
      await liveChat(req, res);
    }));
  }
  if (parts.files) server.get(`${routes.files}/:id`, guarded(parts.files));

  for (const page of ['privacy', 'terms'] as const) {
    server.get(routes[page], async (_req: Request, res: Response) => {
      const html = policyPage(page, parts.retentionDays);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
      res.end(html);
    });
  }

  server.get(routes.health, async (_req: Request, res: Response) => {
    try {
      res.send(200, { status: 'ok', ...(await parts.health()) });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'health check failed');
      res.send(503, { status: 'unavailable', reason: 'the store does not answer' });
    }
  });

  server.on('restifyError', (req: Request, _res: Response, err: Error & { statusCode?: number }, next: (e?: unknown) => void) => {
    // Body parser errors (malformed JSON, too large) keep their 4xx and say why.
    const status = err.statusCode ?? 500;
    // V8's JSON.parse message quotes the body (a customer's words): the reason keeps only that it is not JSON.
    const reason = status >= 500 ? 'unexpected error; it was logged' : /^Invalid JSON/i.test(err.message) ? 'Invalid JSON: the body is not well-formed JSON' : err.message;
    if (status < 500) log.warn({ path: req.path(), status, reason }, 'rejected request');
    else log.error({ path: req.path(), err: err.message }, 'request failed');
    // The same body as every other refusal: `{ error, reason }` (restify's own is `{ code, message }`).
    (err as Error & { toJSON?: () => unknown }).toJSON = () => ({ error: RESTIFY_CODES[status] ?? (status < 500 ? 'bad_request' : 'internal'), reason });
    next();
  });
  return server;
}
