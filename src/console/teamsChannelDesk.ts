/**
 * The agent desk on a Teams channel: each escalation is a new thread whose root is the escalation card; customer
 * lines and notices are replies in that thread; state changes update the root card in place.
 */
import { DEFAULT_QUEUE, queueOf, type DeskRef, type Escalation } from '../core/escalation';
import { DeliveryError } from '../delivery/deliveryError';
import type { AgentDesk, DeskLineKind, Fence, OutboundMessage, Placement } from '../delivery/ports';
import type { Connector } from '../outbound/connector';
import { teamsMessageParts } from '../outbound/teamsMessages';
import { TEAMS_TEXT_BUDGET_BYTES } from '../outbound/teamsLimits';
import type { AgentChannelRegistry } from './agentChannel';
import type { TeamsMentions } from './teamsMentions';
import { cardAttachment, cardCutsText, escalationCardModel, fullDetails, renderEscalationCard, type CardView } from './cards/escalationCard';

export const TEAMS_CHANNEL_DESK = 'teams-channel';

/** Where an escalation's thread is, as this desk keeps it (opaque to the core). */
export interface TeamsThreadAddress {
  serviceUrl: string;
  /** The team whose channel holds the thread (its roster names mentioned people); absent on older threads. */
  teamId?: string;
  conversationId: string;
  rootActivityId: string;
}

export function threadOf(ref: DeskRef): TeamsThreadAddress {
  return ref.address as unknown as TeamsThreadAddress;
}

export class TeamsChannelDesk implements AgentDesk {
  constructor(
    private readonly connector: Connector,
    private readonly channels: AgentChannelRegistry,
    private readonly noteMarker: string,
    private readonly mentions: TeamsMentions,
    private readonly now: () => Date = () => new Date(),
    private readonly supervisors: string[] = [],
  ) {}

  /** The card activity; supervisors (by their Teams ids, from the team roster) get a view of their own. */
  async cardActivity(e: Escalation, view: CardView = {}, where?: { serviceUrl: string; teamId?: string }): Promise<Record<string, unknown>> {
    const watchers = where && where.teamId && this.supervisors.length ? await this.mentions.memberIds(this.supervisors, where.serviceUrl, where.teamId) : [];
    // Empty text: text next to a card hides the card in some clients.
    const full = { ...view, queues: this.channels.queueNames(), watchers };
    return { type: 'message', text: '', attachments: [cardAttachment(renderEscalationCard(escalationCardModel(e, this.now(), this.noteMarker, full)))] };
  }

  async announce(e: Escalation, fence: Fence): Promise<Placement> {
    const queue = queueOf(e);
    const channel = await this.channels.forQueue(queue);
    if (!channel) throw new DeliveryError(`no channel serves the queue "${queue}" yet (set it in the settings, or type "use this channel${queue === DEFAULT_QUEUE ? '' : ` for ${queue}`}" in Teams)`);
    const thread = await this.connector.createThread(channel.serviceUrl, { channelId: channel.channelId, tenantId: channel.tenantId, activity: await this.cardActivity(e, {}, channel) }, fence);
    const address: TeamsThreadAddress = { serviceUrl: channel.serviceUrl, teamId: channel.teamId, conversationId: thread.conversationId, rootActivityId: thread.activityId };
    // The card shortens long values; the agent still gets every character, as the thread's first reply.
    return { ref: { desk: TEAMS_CHANNEL_DESK, threadId: thread.conversationId, address: { ...address } }, followUps: cardCutsText(e) ? [fullDetails(e)] : [] };
  }

  async refresh(e: Escalation, view: CardView, fence: Fence): Promise<void> {
    const t = this.thread(e);
    const where = { serviceUrl: t.serviceUrl, teamId: t.teamId ?? (await this.channels.forQueue(queueOf(e)))?.teamId };
    await this.connector.update(t.serviceUrl, t.conversationId, t.rootActivityId, await this.cardActivity(e, view, where), fence);
  }

  /** Room for the longest prefix a line gets; a transcript part of this size is posted as one message. */
  readonly maxTextBytes = TEAMS_TEXT_BUDGET_BYTES - 256;

  async post(e: Escalation, message: OutboundMessage & { kind: DeskLineKind }, fence: Fence): Promise<void> {
    const t = this.thread(e);
    const prefix = { customer: `${message.from || 'Customer'}: `, note: `📝 Note from ${message.from}: `, notice: 'ℹ️ ', transcript: '' }[message.kind];
    if (message.kind === 'notice' && message.mentions?.length) {
      // Our own notice (no customer text in it): sent as Teams markup so the mentions notify people.
      const teamId = t.teamId ?? (await this.channels.current())?.teamId;
      const { prefix: at, entities } = await this.mentions.render(message.mentions, t.serviceUrl, teamId);
      await this.connector.send(t.serviceUrl, t.conversationId, { type: 'message', text: `${at ? `${at} ` : ''}${prefix}${message.text}`, entities }, fence);
      return;
    }
    const parts = teamsMessageParts(prefix, message.text, message.files);
    // A retry of this delivery goes on from the first part not yet sent.
    for (let i = message.progress?.partsSent ?? 0; i < parts.length; i++) {
      // Plain text: customer input is never rendered as markdown or HTML in the thread.
      await this.connector.send(t.serviceUrl, t.conversationId, { type: 'message', ...parts[i], textFormat: 'plain' }, fence);
      await message.progress?.sent(i + 1, parts.length);
    }
  }

  private thread(e: Escalation): TeamsThreadAddress {
    if (!e.deskRef) throw new DeliveryError(`escalation ${e.id} has no thread yet`);
    return threadOf(e.deskRef);
  }
}
