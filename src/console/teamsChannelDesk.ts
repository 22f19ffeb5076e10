/**
 * The agent desk on a Teams channel: each escalation is a new thread whose root is the escalation card; customer
 * lines and notices are replies in that thread; state changes update the root card in place.
 */
import type { DeskRef, Escalation } from '../core/escalation';
import { DeliveryError } from '../core/errors';
import type { AgentDesk, OutboundMessage } from '../core/ports';
import { splitText } from '../core/splitText';
import type { Connector } from '../outbound/connector';
import { TEAMS_TEXT_BUDGET_BYTES } from '../skill/teamsCustomerChannel';
import type { AgentChannelRegistry } from './agentChannel';
import { cardAttachment, cardCutsText, escalationCardModel, fullDetails, renderEscalationCard } from './cards/escalationCard';

export const TEAMS_CHANNEL_DESK = 'teams-channel';

export class TeamsChannelDesk implements AgentDesk {
  constructor(
    private readonly connector: Connector,
    private readonly channels: AgentChannelRegistry,
    private readonly noteMarker: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  cardActivity(e: Escalation): Record<string, unknown> {
    // Empty text: text next to a card hides the card in some clients.
    return { type: 'message', text: '', attachments: [cardAttachment(renderEscalationCard(escalationCardModel(e, this.now(), this.noteMarker)))] };
  }

  async announce(e: Escalation): Promise<DeskRef> {
    const channel = await this.channels.current();
    if (!channel) throw new DeliveryError('no agent channel is configured yet (set AGENT_CHANNEL_ID or type "use this channel" in Teams)');
    const thread = await this.connector.createThread(channel.serviceUrl, {
      channelId: channel.channelId,
      tenantId: channel.tenantId,
      activity: this.cardActivity(e),
    });
    const deskRef = { desk: TEAMS_CHANNEL_DESK, conversationId: thread.conversationId, rootActivityId: thread.activityId, serviceUrl: channel.serviceUrl };
    // The card shortens long values; the agent still gets every character, as the thread's first reply.
    if (cardCutsText(e)) await this.post({ ...e, deskRef }, { text: fullDetails(e), kind: 'notice' });
    return deskRef;
  }

  async refresh(e: Escalation): Promise<void> {
    const ref = this.ref(e);
    await this.connector.update(ref.serviceUrl!, ref.conversationId, ref.rootActivityId, this.cardActivity(e));
  }

  async post(e: Escalation, message: OutboundMessage & { kind: 'customer' | 'notice' | 'note' }): Promise<void> {
    const ref = this.ref(e);
    const prefix = message.kind === 'customer' ? `${message.from || 'Customer'}: ` : message.kind === 'note' ? `📝 Note from ${message.from}: ` : 'ℹ️ ';
    for (const part of splitText(message.text, TEAMS_TEXT_BUDGET_BYTES - Buffer.byteLength(prefix))) {
      // Plain text: customer input is never rendered as markdown or HTML in the thread.
      await this.connector.send(ref.serviceUrl!, ref.conversationId, { type: 'message', text: `${prefix}${part}`, textFormat: 'plain' });
    }
  }

  private ref(e: Escalation): DeskRef {
    if (!e.deskRef?.serviceUrl) throw new DeliveryError(`escalation ${e.id} has no thread yet`);
    return e.deskRef;
  }
}
