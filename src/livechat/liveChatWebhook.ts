/**
 * `POST /api/livechat/messages`: what a live-chat desk's agents do, signed per Standard Webhooks (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature` over "id.timestamp.body" with LIVECHAT_WEBHOOK_SECRET, checked over the raw
 * body in constant time by the `standardwebhooks` library, ±5 minutes). A missing, wrong or stale signature is 401
 * and changes nothing; a webhook id seen before is acknowledged and not relayed again. The body is the sample's:
 * `{ conversationId, message, sender }` (PascalCase accepted), optionally `id` and `type` (message, joined, ended).
 */
import type { Request, Response } from 'restify';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { z } from 'zod';
import { queueOf, TransitionError, type AgentRef, type Escalation } from '../core/escalation';
import { ConflictError } from '../core/errors';
import type { Handover } from '../core/handover';
import type { Logger } from '../core/logger';
import type { LookupStore } from '../core/ports';
import { LIVECHAT_DESK, liveChatThreadId } from './liveChatDesk';

const text = (max: number) => z.string().trim().min(1).max(max);
const body = z
  .object({
    conversationId: text(200),
    message: z.string().max(20_000).optional(),
    sender: text(200),
    id: text(200).optional(),
    type: z.enum(['message', 'joined', 'ended']).default('message'),
  })
  .refine((b) => b.type !== 'message' || (b.message ?? '').trim() !== '', { message: 'message is required for type "message"', path: ['message'] });

/** The sample's PascalCase fields, as camelCase. */
function camel(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]));
}

export interface WebhookDeps {
  handover: Handover;
  lookups: LookupStore;
  /** The signing secret (whsec_…); absent only in local mode, where unsigned calls are accepted. */
  secret?: string;
  log: Logger;
}

export function liveChatWebhook(deps: WebhookDeps) {
  const verifier = deps.secret ? new Webhook(deps.secret) : undefined;
  return async (req: Request, res: Response): Promise<void> => {
    const raw = typeof (req as { rawBody?: unknown }).rawBody === 'string' ? ((req as { rawBody?: string }).rawBody as string) : JSON.stringify(req.body ?? {});
    const webhookId = String(req.headers['webhook-id'] ?? '');
    if (verifier) {
      try {
        verifier.verify(raw, {
          'webhook-id': webhookId,
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        });
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err;
        deps.log.warn({ reason: err.message }, 'live-chat webhook refused');
        return void res.send(401, { error: 'unauthorized', reason: 'missing, wrong or stale webhook signature' });
      }
    }
    const parsed = body.safeParse(camel(req.body));
    if (!parsed.success) return void res.send(400, { error: 'bad_request', reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    const m = parsed.data;
    const seenKey = webhookId ? `webhook|${webhookId}` : undefined;
    if (seenKey && (await deps.lookups.get(seenKey))) return void res.send(200, { status: 'duplicate' });
    const e = await deps.handover.findByDesk(liveChatThreadId(m.conversationId));
    if (!e) return void res.send(404, { error: 'not_found', reason: `no live chat with conversationId ${m.conversationId}` });
    // A conversation the chat has left (transferred to another queue or desk) no longer acts on it.
    if (e.deskRef?.desk !== LIVECHAT_DESK || e.deskRef.threadId !== liveChatThreadId(m.conversationId)) {
      return void res.send(409, { error: 'moved', reason: 'this conversation no longer serves the chat (it was transferred)' });
    }
    const agent: AgentRef = { id: `livechat:${m.sender.toLowerCase()}`, name: m.sender };
    // The activity id of what the desk said: its own id, else the webhook's; a replay collides with the first copy.
    const activityId = m.id ?? (webhookId || undefined);
    let status: string;
    try {
      status = await act(deps.handover, e, m.type, agent, m.message ?? '', activityId);
    } catch (err) {
      if (err instanceof TransitionError) return void res.send(409, { error: err.code, reason: err.message });
      throw err;
    }
    if (status === 'moved') return void res.send(409, { error: 'moved', reason: 'the chat was moved to another queue before this message could take it' });
    if (status === 'closed' || status === 'notOwner') return void res.send(409, { error: status === 'closed' ? 'closed' : 'not_owner', reason: status === 'closed' ? 'the chat is closed' : `the chat is handled by ${e.owner?.name}` });
    if (seenKey) await deps.lookups.create(seenKey, e.id).catch((err) => void (err instanceof ConflictError || deps.log.warn({ err: (err as Error).message }, 'webhook id not remembered')));
    res.send(200, { status });
  };
}

/** `e`: the chat as just read for the call; a claim holds only if it is still in that queue. */
async function act(handover: Handover, e: Escalation, type: 'message' | 'joined' | 'ended', agent: AgentRef, message: string, activityId?: string): Promise<string> {
  if (type === 'joined') {
    const { changed } = await handover.claim(e.id, agent, queueOf(e));
    return changed ? 'joined' : 'unchanged';
  }
  if (type === 'ended') {
    if (e.status === 'queued') await handover.claim(e.id, agent, queueOf(e));
    await handover.resolve(e.id, agent);
    return 'ended';
  }
  return (await handover.agentMessage(e, agent, message, { activityId })).kind;
}
