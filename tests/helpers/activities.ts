/** Activities shaped as Copilot Studio and Teams send them. */
import { randomUUID } from 'node:crypto';
import { CHANNEL_ID, CUSTOMER_TENANT, AGENT_TENANT, TEAM_ID } from './service';

export const PVA_SERVICE_URL = 'https://pvaruntime.us-il104.gateway.prod.island.powerapps.com/environments/x/bots/y/';

export interface Customer {
  conversationId: string;
  userId: string;
  name: string;
}

export function newCustomer(name = 'Ada Customer'): Customer {
  return { conversationId: `a:customer-${randomUUID()}`, userId: `29:user-${randomUUID()}`, name };
}

function skillBase(c: Customer, serviceUrl = PVA_SERVICE_URL) {
  return {
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    conversation: { id: c.conversationId, tenantId: CUSTOMER_TENANT, conversationType: 'personal' },
    from: { id: c.userId, name: c.name, aadObjectId: randomUUID() },
    recipient: { id: '28:copilot-agent', name: 'Contoso Helper' },
    channelData: { tenant: { id: CUSTOMER_TENANT } },
    locale: 'en-US',
  };
}

export const skill = {
  start(c: Customer, value: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
    return { ...skillBase(c), type: 'event', name: 'startConversation', value, ...extra };
  },
  message(c: Customer, text: string, extra: Record<string, unknown> = {}) {
    return { ...skillBase(c), type: 'message', text, value: {}, ...extra };
  },
  end(c: Customer, extra: Record<string, unknown> = {}) {
    return { ...skillBase(c), type: 'event', name: 'endConversation', value: {}, ...extra };
  },
  endOfConversation(c: Customer) {
    return { ...skillBase(c), type: 'endOfConversation', code: 'userCancelled' };
  },
  event(c: Customer, name: string) {
    return { ...skillBase(c), type: 'event', name, value: {} };
  },
};

export interface Agent {
  id: string;
  name: string;
}

export function newAgent(name: string): Agent {
  return { id: `29:agent-${randomUUID()}`, name };
}

function teamsBase(agent: Agent, conversationId: string, serviceUrl: string, tenant = AGENT_TENANT) {
  return {
    id: `1${Date.now()}${Math.floor(Math.random() * 1000)}`,
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    from: { id: agent.id, name: agent.name, aadObjectId: randomUUID() },
    recipient: { id: '28:console-bot', name: 'Console' },
    conversation: { id: conversationId, isGroup: true, conversationType: 'channel', tenantId: tenant },
    channelData: { team: { id: TEAM_ID }, channel: { id: CHANNEL_ID }, tenant: { id: tenant } },
  };
}

export const teams = {
  /** Action.Execute on the card at the root of `threadId`. */
  action(agent: Agent, threadId: string, rootId: string, verb: string, data: Record<string, unknown>, serviceUrl: string, tenant?: string) {
    return {
      ...teamsBase(agent, threadId, serviceUrl, tenant),
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId: rootId,
      value: { action: { type: 'Action.Execute', verb, data } },
    };
  },
  /** A reply typed in the thread, optionally @mentioning the bot. */
  reply(agent: Agent, threadId: string, text: string, serviceUrl: string, mention = false) {
    const body = mention ? `<at>Console</at> ${text}` : text;
    return {
      ...teamsBase(agent, threadId, serviceUrl),
      type: 'message',
      text: body,
      entities: mention ? [{ type: 'mention', text: '<at>Console</at>', mentioned: { id: '28:console-bot', name: 'Console' } }] : [],
    };
  },
  installed(serviceUrl: string) {
    const admin = newAgent('Admin');
    return {
      ...teamsBase(admin, TEAM_ID, serviceUrl),
      type: 'conversationUpdate',
      membersAdded: [{ id: '28:console-bot' }],
      channelData: { team: { id: TEAM_ID, name: 'Support' }, eventType: 'teamMemberAdded', tenant: { id: AGENT_TENANT } },
    };
  },
};
