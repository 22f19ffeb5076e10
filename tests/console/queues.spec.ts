/** Queues over HTTP: routing by the Queue input and by rule, the unknown queue, a queue's channel chosen in Teams, its team. */
import { strict as assert } from 'node:assert';
import { threadOf } from '../../src/console/teamsChannelDesk';
import { escalateToTeamsDesk } from '../helpers/teamsDesk';
import { ConnectorStub } from '../helpers/connectorStub';
import { newAgent, teams, type Agent } from '../helpers/activities';
import { AGENT_TENANT, bases, CHANNEL_ID, startService, TEAM_ID, type TestService } from '../helpers/service';

const BILLING_TEAM = '19:billing-team@thread.tacv2';
const BILLING_CHANNEL = '19:billing-channel@thread.tacv2';
const GERMAN_CHANNEL = '19:german-channel@thread.tacv2';

describe('queues (routing, channels, teams) over HTTP', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  let teamsUrl: string;

  before(async () => {
    stub = await new ConnectorStub().start();
    const queues = [
      { name: 'billing', teamId: BILLING_TEAM, channelId: BILLING_CHANNEL },
      { name: 'german', when: { va_Language: 'de-DE' } },
    ];
    svc = await startService(stub, { AGENT_QUEUES: JSON.stringify(queues) });
    teamsUrl = `${stub.url}${bases.teams}/`;
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  async function escalate(value: Record<string, string>) {
    const { id, customer, escalation: e, create } = await escalateToTeamsDesk(svc, stub, { ProblemDescription: 'help', ...value });
    return { id, customer, e, channel: create.body.channelData.channel.id as string, card: JSON.stringify(create.body.activity), thread: threadOf(e.deskRef!) };
  }

  /** A line typed in a channel of `team` (an agent's command to the console). */
  const typed = (agent: Agent, text: string, team: string, channel: string) => ({
    ...teams.reply(agent, `${channel};messageid=1`, `<at>Console</at> ${text}`, teamsUrl),
    entities: [{ type: 'mention', text: '<at>Console</at>', mentioned: { id: '28:console-bot', name: 'Console' } }],
    channelData: { team: { id: team }, channel: { id: channel }, tenant: { id: AGENT_TENANT } },
  });
  const lastReply = () => stub.calls.filter((c) => c.kind === 'send' && c.conversationId?.endsWith(';messageid=1')).at(-1)?.body.text as string;

  it('the Queue input routes to that queue\'s channel, and its card names the queue', async () => {
    const o = await escalate({ Queue: 'Billing' });
    assert.equal(o.e.queue, 'billing');
    assert.equal(o.channel, BILLING_CHANNEL);
    assert.match(o.card, /"title":"Queue","value":"billing"/);
  });

  it('an unknown queue goes to the default queue, and the card says what was asked for', async () => {
    const o = await escalate({ Queue: 'nonsense' });
    assert.deepEqual([o.e.queue, o.channel], ['default', CHANNEL_ID]);
    assert.match(o.card, /Asked for the queue \\"nonsense\\", which does not exist/);
    const plain = await escalate({});
    assert.deepEqual([plain.e.queue, plain.channel, plain.e.routingNote], ['default', CHANNEL_ID, undefined]);
  });

  it('a queue\'s channel is chosen in Teams ("use this channel for german"), and a when rule routes to it by the context', async () => {
    const admin = newAgent('Admin');
    stub.members.add(admin.id);
    assert.equal((await svc.post('/api/console/messages', typed(admin, 'use this channel for nosuch', TEAM_ID, GERMAN_CHANNEL))).status, 200);
    assert.match(lastReply(), /There is no queue "nosuch"\. The queues are: default, billing, german/);
    await svc.post('/api/console/messages', typed(admin, 'use this channel for billing', TEAM_ID, GERMAN_CHANNEL));
    assert.match(lastReply(), /set in the settings/);
    await svc.post('/api/console/messages', typed(admin, 'use this channel for german', TEAM_ID, GERMAN_CHANNEL));
    assert.match(lastReply(), /New escalations of the german queue will be posted in this channel/);
    const o = await escalate({ Context: JSON.stringify({ va_Language: 'de-DE' }) });
    assert.deepEqual([o.e.queue, o.channel], ['german', GERMAN_CHANNEL]);
  });

  it('only members of a queue\'s team act on its escalations; positions are per queue', async () => {
    await escalate({}); // four wait in the default queue by now, one in billing (from the first test)
    const o = await escalate({ Queue: 'billing' });
    const toCustomer = stub.calls.filter((c) => c.base.startsWith(bases.customer) && c.conversationId === o.customer.conversationId).map((c) => c.body.text as string);
    assert.match(toCustomer[0], /You are number 2 in line/, 'only the billing chat ahead counts');
    const outsider = newAgent('Otto');
    stub.members.add(outsider.id); // a member of the default team, not of billing's
    const billingAgent = newAgent('Bill');
    stub.teamMembers.set(BILLING_TEAM, new Set([billingAgent.id]));
    const act = (agent: Agent) =>
      svc.post('/api/console/messages', { ...teams.action(agent, o.thread.conversationId, o.thread.rootActivityId, 'handover.claim', { escalationId: o.id }, teamsUrl), channelData: { team: { id: BILLING_TEAM }, channel: { id: BILLING_CHANNEL }, tenant: { id: AGENT_TENANT } } });
    const refused = await act(outsider);
    assert.match(JSON.stringify(refused.body), /Only members of the billing queue's team/);
    assert.equal((await svc.handover.get(o.id))?.status, 'queued');
    await act(billingAgent);
    assert.equal((await svc.handover.get(o.id))?.owner?.id, billingAgent.id);
  });
});
