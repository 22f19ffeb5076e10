/**
 * The customer's Teams chat: proactive messages sent with the Copilot Studio agent's own registration to the Teams
 * service URL kept in the customer's address. Agent lines carry the agent's name; long text is split, in order.
 */
import type { CustomerRef, Escalation } from '../core/escalation';
import type { CustomerChannel, Fence, OutboundMessage } from '../delivery/ports';
import type { Connector } from '../outbound/connector';
import { ADAPTIVE_CARD_CONTENT_TYPE, teamsMessageParts } from '../outbound/teamsMessages';
import { renderSurveyCard, surveyCardModel } from './cards/surveyCard';

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
      await this.connector.send(c.serviceUrl, conversationId, { type: 'message', text: '', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }], ...envelope }, fence);
      return;
    }
    const prefix = message.from ? `**${escapeMarkdown(message.from)}**: ` : '';
    // The service's own notices carry no formatting but may carry names (an agent's, a queue's): sent as plain text,
    // so no name is ever rendered as markdown. An agent's line is markdown (its bold name, their own formatting).
    const textFormat = message.from ? 'markdown' : 'plain';
    const parts = teamsMessageParts(prefix, message.text, message.files);
    // A retry of this delivery goes on from the first part not yet sent.
    for (let i = message.progress?.partsSent ?? 0; i < parts.length; i++) {
      await this.connector.send(c.serviceUrl, conversationId, { type: 'message', ...parts[i], textFormat, ...envelope }, fence);
      await message.progress?.sent(i + 1, parts.length);
    }
  }
}

const MARKDOWN = /[\\`*_{}[\]()#+\-.!<>|~]/;
const MARKDOWN_ALL = /([\\`*_{}[\]()#+\-.!<>|~])/g;

/** An agent's name as literal text; most names have nothing to escape, and a test is cheaper than a replace. */
function escapeMarkdown(text: string): string {
  return MARKDOWN.test(text) ? text.replace(MARKDOWN_ALL, '\\$1') : text;
}
