/**
 * The customer's Teams chat: proactive messages sent with the Copilot Studio agent's own registration to the Teams
 * service URL kept in the customer's address. Agent lines carry the agent's name; long text is split, in order.
 */
import type { CustomerRef, Escalation } from '../core/escalation';
import type { CustomerChannel, Fence, OutboundMessage } from '../delivery/ports';
import type { Connector } from '../outbound/connector';
import { splitText } from '../core/splitText';
import { TEAMS_TEXT_BUDGET_BYTES } from '../outbound/teamsLimits';
import { renderSurveyCard, surveyCardModel } from './cards/surveyCard';

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

export const TEAMS_CUSTOMER_CHANNEL = 'teams';

/** What this channel keeps about the customer (opaque to the core). */
export interface TeamsCustomerAddress {
  userId: string;
  userName?: string;
  aadObjectId?: string;
  tenantId?: string;
  /** The channel the customer is on (msteams). */
  channelId: string;
  /** Where proactive messages go (the Teams service URL, never the pvaruntime one). */
  serviceUrl: string;
  /** The Copilot Studio agent that the customer talks to; proactive messages are sent as this bot. */
  botId: string;
  botName?: string;
}

export function teamsAddressOf(customer: CustomerRef): TeamsCustomerAddress {
  return customer.address as unknown as TeamsCustomerAddress;
}

export class TeamsCustomerChannel implements CustomerChannel {
  constructor(private readonly connector: Connector) {}

  async send(e: Escalation, message: OutboundMessage, fence: Fence): Promise<void> {
    const c = teamsAddressOf(e.customer);
    const conversationId = e.customer.conversationId;
    const envelope = {
      from: { id: c.botId, name: c.botName },
      recipient: { id: c.userId, name: c.userName, aadObjectId: c.aadObjectId },
      conversation: { id: conversationId, tenantId: c.tenantId },
      channelId: c.channelId,
      ...(c.tenantId ? { channelData: { tenant: { id: c.tenantId } } } : {}),
    };
    if (message.ask === 'rating') {
      const card = renderSurveyCard(surveyCardModel(message.text));
      await this.connector.send(c.serviceUrl, conversationId, { type: 'message', text: '', attachments: [{ contentType: ADAPTIVE_CARD, content: card }], ...envelope }, fence);
      return;
    }
    const prefix = message.from ? `**${escapeMarkdown(message.from)}**: ` : '';
    const images = (message.files ?? []).map((f) => ({ contentType: f.contentType, contentUrl: f.url, name: f.name }));
    const parts = message.text ? splitText(message.text, TEAMS_TEXT_BUDGET_BYTES - Buffer.byteLength(prefix)) : [''];
    for (const [i, part] of parts.entries()) {
      // The images go with the last part, so they follow the text they belong to.
      const attachments = i === parts.length - 1 && images.length ? { attachments: images } : {};
      await this.connector.send(c.serviceUrl, conversationId, { type: 'message', text: `${prefix}${part}`, textFormat: 'markdown', ...attachments, ...envelope }, fence);
    }
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!<>|~])/g, '\\$1');
}
