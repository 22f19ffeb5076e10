/** What the service itself says to customers and agents. One place, so wording and later localisation stay together. */
import type { AgentRef, Escalation } from './escalation';

export const notices = {
  inLine: () => 'Thanks for waiting. You are in line for a support agent, who will join this chat shortly.',
  agentJoined: (agent: AgentRef) => `${agent.name} joined the chat.`,
  released: (agent: AgentRef) => `${agent.name} handed your chat back to the queue. The next available agent will join shortly.`,
  resolved: (agent: AgentRef) =>
    `${agent.name} ended the chat. You are back with the virtual agent; ask for a person again at any time.`,
  customerLeft: () => 'The customer left the chat.',
  customerUndeliverable: (reason: string) => `⚠️ This message could not be delivered to the customer: ${reason}`,
  deskUndeliverable: () =>
    'Sorry, your last message could not reach the support team. Please try again in a moment.',
  notOwner: (owner: AgentRef) => `This chat is handled by ${owner.name}; your message was not sent to the customer.`,
  closed: (e: Escalation) =>
    `This chat is closed (${e.closedReason === 'customer' ? 'the customer left' : e.closedReason === 'agent' ? `resolved by ${e.closedBy?.name}` : 'abandoned'}); your message was not sent.`,
};
