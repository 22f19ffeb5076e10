/**
 * The activities Copilot Studio sends a skill: the customer's Teams conversation, the Copilot agent as recipient,
 * the runtime's own `pvaruntime` service URL, and the action inputs as string values (see skill-manifest.json).
 */
import { randomUUID } from 'node:crypto';

export interface SimulatedCustomer {
  conversationId: string;
  userId: string;
  aadObjectId: string;
  name: string;
  tenantId: string;
}

export function newSimulatedCustomer(name: string, tenantId: string): SimulatedCustomer {
  return { conversationId: `a:sim-${randomUUID()}`, userId: `29:sim-${randomUUID()}`, aadObjectId: randomUUID(), name, tenantId };
}

/** The Copilot Studio agent the customer talks to. */
const COPILOT_AGENT = { id: '28:contoso-helper', name: 'Contoso Helper' };

function envelope(c: SimulatedCustomer, runtimeServiceUrl: string) {
  return {
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl: runtimeServiceUrl,
    timestamp: new Date().toISOString(),
    locale: 'en-US',
    conversation: { id: c.conversationId, tenantId: c.tenantId, conversationType: 'personal' },
    from: { id: c.userId, name: c.name, aadObjectId: c.aadObjectId },
    recipient: COPILOT_AGENT,
    channelData: { tenant: { id: c.tenantId } },
  };
}

export const copilotStudio = {
  startConversation(c: SimulatedCustomer, runtime: string, problem: string, context: Record<string, string>) {
    return { ...envelope(c, runtime), type: 'event', name: 'startConversation', value: { ProblemDescription: problem, Context: JSON.stringify(context) } };
  },
  sendMessage(c: SimulatedCustomer, runtime: string, text: string, liveChatId?: string) {
    return { ...envelope(c, runtime), type: 'message', text, value: liveChatId ? { LiveChatConversationId: liveChatId } : {} };
  },
  endConversation(c: SimulatedCustomer, runtime: string, liveChatId?: string) {
    return { ...envelope(c, runtime), type: 'event', name: 'endConversation', value: liveChatId ? { LiveChatConversationId: liveChatId } : {} };
  },
};
