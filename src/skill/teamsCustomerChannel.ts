/**
 * The customer's Teams chat: proactive messages sent with the Copilot Studio agent's own registration to the
 * Teams service URL kept on the escalation. Agent lines carry the agent's name; long text is split, in order.
 */
import type { Escalation } from '../core/escalation';
import type { CustomerChannel, OutboundMessage } from '../core/ports';
import { splitText } from '../core/splitText';
import type { Connector } from '../outbound/connector';

/** Teams rejects some messages above ~28 KB; leave room for the envelope. */
export const TEAMS_TEXT_BUDGET_BYTES = 24 * 1024;

export class TeamsCustomerChannel implements CustomerChannel {
  constructor(private readonly connector: Connector) {}

  async send(e: Escalation, message: OutboundMessage): Promise<void> {
    const c = e.customer;
    const prefix = message.from ? `**${escapeMarkdown(message.from)}**: ` : '';
    for (const part of splitText(message.text, TEAMS_TEXT_BUDGET_BYTES - Buffer.byteLength(prefix))) {
      await this.connector.send(c.serviceUrl, c.conversationId, {
        type: 'message',
        text: `${prefix}${part}`,
        textFormat: 'markdown',
        from: { id: c.botId, name: c.botName },
        recipient: { id: c.userId, name: c.userName, aadObjectId: c.aadObjectId },
        conversation: { id: c.conversationId, tenantId: c.tenantId },
        channelId: c.channelId,
        ...(c.tenantId ? { channelData: { tenant: { id: c.tenantId } } } : {}),
      });
    }
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!<>|~])/g, '\\$1');
}
