/**
 * A live-chat desk behind the reference sample's REST contract: `start` opens a conversation there (its id is this
 * desk's place for the escalation), `receive` carries each customer line and service notice, `end` says the customer
 * left. The desk's agents answer on our webhook (liveChatWebhook.ts).
 */
import { queueOf, type Escalation } from '../core/escalation';
import { DeliveryError } from '../delivery/deliveryError';
import type { AgentDesk, DeskLineKind, Fence, OutboundMessage, Placement } from '../delivery/ports';
import type { LiveChatClient } from './liveChatClient';

export const LIVECHAT_DESK = 'livechat';

/** The look-up key of a live-chat conversation (kept apart from Teams thread ids). */
export const liveChatThreadId = (conversationId: string) => `livechat|${conversationId}`;

export class LiveChatDesk implements AgentDesk {
  readonly maxTextBytes = 64 * 1024;

  constructor(private readonly client: LiveChatClient) {}

  async announce(e: Escalation, fence: Fence): Promise<Placement> {
    const answer = await this.client.post('api/chat/start', {
      escalationId: e.id,
      problem: e.problem,
      customerName: e.customer.name ?? 'Customer',
      context: e.context,
      queue: queueOf(e),
    }, fence, `start|${e.id}|${e.previousDesks?.length ?? 0}`);
    // The sample answers a plain JSON string; others `{ conversationId }`.
    const found = typeof answer === 'string' ? answer : (answer as { conversationId?: unknown; ConversationId?: unknown } | undefined)?.conversationId ?? (answer as { ConversationId?: unknown } | undefined)?.ConversationId;
    if (typeof found !== 'string' || !found.trim()) throw new DeliveryError('the live-chat desk answered start without a conversationId', { retryable: false });
    const conversationId = found.trim();
    // The webhook addresses the chat by this id (at most 200 characters): one it could never name is no place.
    if (conversationId.length > 200 || /\p{Cc}/u.test(conversationId)) throw new DeliveryError('the live-chat desk answered start with a conversationId its webhook cannot use (over 200 characters, or control characters)', { retryable: false });
    return { ref: { desk: LIVECHAT_DESK, threadId: liveChatThreadId(conversationId), address: { conversationId } }, followUps: [] };
  }

  /**
   * No card to update there. A chat closed on our side (the customer left, inactivity, a supervisor) or transferred
   * away to another queue is ended there.
   */
  async refresh(e: Escalation, view: { transferredTo?: string }, fence: Fence): Promise<void> {
    const gone = view.transferredTo !== undefined || (e.status === 'closed' && e.closedReason !== 'agent');
    if (!gone) return;
    await this.client.post('api/chat/end', { conversationId: this.conversationOf(e) }, fence, `end|${e.id}|${this.conversationOf(e)}`);
  }

  async post(e: Escalation, message: OutboundMessage & { kind: DeskLineKind }, fence: Fence): Promise<void> {
    // The desk keeps its own transcript of the conversation, and notes are typed there, not here.
    if (message.kind === 'transcript' || message.kind === 'note') return;
    const sender = message.kind === 'customer' ? (message.from || e.customer.name || 'Customer') : 'System';
    const files = message.files?.length ? { attachments: message.files.map((f) => ({ contentType: f.contentType, contentUrl: f.url, name: f.name })) } : {};
    await this.client.post('api/chat/receive', { conversationId: this.conversationOf(e), message: message.text, sender, ...(message.key ? { id: message.key } : {}), ...files }, fence, message.key);
  }

  private conversationOf(e: Escalation): string {
    const id = (e.deskRef?.address as { conversationId?: string } | undefined)?.conversationId;
    if (!id) throw new DeliveryError(`escalation ${e.id} has no live-chat conversation yet`);
    return id;
  }
}
