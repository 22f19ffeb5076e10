/** Chats opened through the skill onto the Teams channel desk, as the HTTP tests of the console need them. */
import { strict as assert } from 'node:assert';
import type { Escalation } from '../../src/core/escalation';
import { threadOf } from '../../src/console/teamsChannelDesk';
import { newAgent, newCustomer, skill, type Agent, type Customer } from './activities';
import type { ConnectorStub, RecordedCall } from './connectorStub';
import type { TestService } from './service';

export interface OpenChat {
  id: string;
  customer: Customer;
  /** The card's thread, and the card's own activity id in it. */
  threadId: string;
  rootId: string;
  escalation: Escalation;
  /** The stub's record of the thread's creation (its body holds the card as first posted). */
  create: RecordedCall;
}

/** Escalates a new chat (startConversation with `fields`) and waits until its card thread exists on the stub. */
export async function escalateToTeamsDesk(svc: TestService, stub: ConnectorStub, fields: Record<string, string> = { ProblemDescription: 'help' }, customer = newCustomer()): Promise<OpenChat> {
  const res = await svc.post('/api/messages', skill.start(customer, fields, { deliveryMode: 'expectReplies' }));
  assert.equal(res.status, 200);
  const id = res.body.activities[0].value.LiveChatConversationId as string;
  const created = (c: RecordedCall) => c.kind === 'create' && c.status < 300 && JSON.stringify(c.body).includes(id);
  await stub.waitFor((calls) => calls.some(created), 10_000, 'card thread');
  await svc.relay.idle();
  const escalation = (await svc.handover.get(id))!;
  const thread = threadOf(escalation.deskRef!);
  return { id, customer, threadId: thread.conversationId, rootId: thread.rootActivityId, escalation, create: stub.calls.find(created)! };
}

/** An agent the stub knows as a member of the agents' team. */
export function teamMember(stub: ConnectorStub, name: string): Agent {
  const agent = newAgent(name);
  stub.members.add(agent.id);
  return agent;
}
