/** Transfer over HTTP: to a colleague, to another queue, the roster typeahead, and who may transfer. */
import { strict as assert } from 'node:assert';
import { threadOf } from '../../src/console/teamsChannelDesk';
import { escalateToTeamsDesk, teamMember, type OpenChat } from '../helpers/teamsDesk';
import { ConnectorStub } from '../helpers/connectorStub';
import { newAgent, skill, teams, type Agent } from '../helpers/activities';
import { AGENT_TENANT, bases, CHANNEL_ID, startService, type TestService } from '../helpers/service';

const BILLING_TEAM = '19:billing-team@thread.tacv2';
const BILLING_CHANNEL = '19:billing-channel@thread.tacv2';
const expectReplies = { deliveryMode: 'expectReplies' };

/** A chat on the Teams desk, as the tests address it. */
type Open = Pick<OpenChat, 'id' | 'customer' | 'threadId' | 'rootId'>;

describe('transfer (to a colleague, to another queue) over HTTP', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  let teamsUrl: string;
  const bob = { id: '29:bob', name: 'Bob Builder', aadObjectId: 'b0b0b0b0-0000-4000-8000-00000000b0b0' };

  before(async () => {
    stub = await new ConnectorStub().start();
    stub.people.set(bob.aadObjectId, bob);
    stub.members.add(bob.id);
    svc = await startService(stub, { AGENT_QUEUES: JSON.stringify([{ name: 'billing', teamId: BILLING_TEAM, channelId: BILLING_CHANNEL }, { name: 'returns' }]) });
    teamsUrl = `${stub.url}${bases.teams}/`;
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  async function claimed(agent: Agent): Promise<Open> {
    const o: Open = await escalateToTeamsDesk(svc, stub, { ProblemDescription: 'My invoice is wrong' });
    await act(agent, o, 'handover.claim');
    return o;
  }
  const member = (name: string) => teamMember(stub, name);
  const act = async (agent: Agent, o: Open, verb: string, data: Record<string, unknown> = {}) => {
    const r = await svc.post('/api/console/messages', teams.action(agent, o.threadId, o.rootId, verb, { escalationId: o.id, ...data }, teamsUrl));
    await svc.relay.idle();
    return r;
  };
  const say = async (agent: Agent, threadId: string, text: string) => {
    await svc.post('/api/console/messages', teams.reply(agent, threadId, text, teamsUrl));
    await svc.relay.idle();
  };
  const toCustomer = (o: Open) => stub.calls.filter((c) => c.base.startsWith(bases.customer) && c.conversationId === o.customer.conversationId && c.status < 300).map((c) => c.body.text as string);
  const inThread = (threadId: string) => stub.calls.filter((c) => c.kind === 'send' && c.conversationId === threadId && c.status < 300);

  it('the owner\'s card offers Transfer: the other queues, and colleagues by typeahead', async () => {
    const ann = member('Ann');
    const o = await claimed(ann);
    const r = await act(ann, o, 'handover.refresh');
    const transfer = r.body.value.actions.find((a: any) => a.title === 'Transfer');
    const choice = transfer.card.body[0];
    assert.deepEqual([choice.type, choice.id], ['Input.ChoiceSet', 'transferTo']);
    assert.deepEqual(choice.choices, [{ title: 'Queue: billing', value: 'queue:billing' }, { title: 'Queue: returns', value: 'queue:returns' }]);
    assert.deepEqual(choice['choices.data'], { type: 'Data.Query', dataset: 'handover.agents' });
    assert.equal(transfer.card.actions[0].verb, 'handover.transfer');
  });

  it('the typeahead answers from the team roster, filtered, for members only', async () => {
    const ann = member('Ann');
    const search = (who: Agent, queryText: string) =>
      svc.post('/api/console/messages', { ...teams.action(who, `${CHANNEL_ID};messageid=9`, '9', 'x', {}, teamsUrl), name: 'application/search', value: { queryText, dataset: 'handover.agents', queryOptions: { top: 15, skip: 0 } } });
    const found = await search(ann, 'bob');
    assert.equal(found.status, 200);
    assert.equal(found.body.type, 'application/vnd.microsoft.search.searchResponse');
    assert.deepEqual(found.body.value.results, [{ title: 'Bob Builder', value: `agent:${bob.aadObjectId}` }]);
    const stranger = newAgent('Mallory');
    assert.deepEqual((await search(stranger, '')).body.value.results, []);
  });

  it('to a colleague: they own it at once, are @mentioned in the thread, and the customer is told who they are with', async () => {
    const ann = member('Ann');
    const o = await claimed(ann);
    await act(ann, o, 'handover.transfer', { transferTo: `agent:${bob.aadObjectId}` });
    const e = await svc.handover.get(o.id);
    assert.deepEqual([e?.status, e?.owner?.id, e?.owner?.name], ['claimed', bob.id, 'Bob Builder']);
    const notice = inThread(o.threadId).find((c) => /transferred this chat to you/.test(c.body.text));
    assert.ok(notice, 'the thread tells the new owner');
    assert.deepEqual(notice.body.entities, [{ type: 'mention', text: '<at>Bob Builder</at>', mentioned: { id: bob.id, name: 'Bob Builder' } }]);
    assert.equal(toCustomer(o).at(-1), 'You are now chatting with Bob Builder.');
    await say(ann, o.threadId, 'still me?');
    assert.ok(!toCustomer(o).some((t) => /still me/.test(t)), 'the old owner no longer reaches the customer');
    await say({ id: bob.id, name: bob.name }, o.threadId, 'Hi, Bob here');
    assert.equal(toCustomer(o).at(-1), '**Bob Builder**: Hi, Bob here');
  });

  it('only the owner transfers; a person outside the team is not a target', async () => {
    const ann = member('Ann');
    const o = await claimed(ann);
    await act(member('Carl'), o, 'handover.transfer', { transferTo: 'queue:billing' });
    assert.equal((await svc.handover.get(o.id))?.owner?.id, ann.id);
    const r = await act(ann, o, 'handover.transfer', { transferTo: 'agent:ffffffff-0000-4000-8000-00000000ffff' });
    assert.match(JSON.stringify(r.body), /not a member of this queue's team/);
    const q = await act(ann, o, 'handover.transfer', { transferTo: 'queue:nowhere' });
    assert.match(q.body.value, /there is no queue "nowhere"/);
    assert.equal((await svc.handover.get(o.id))?.owner?.id, ann.id);
  });

  it('a reply read before the chat moved to another queue and was claimed there: told in its own thread, not in the new one', async () => {
    const ann = member('Ann');
    const o = await escalateToTeamsDesk(svc, stub, { ProblemDescription: 'Refund please' });
    const stale = (await svc.store.escalations.get(o.id))!; // as Ann's reply will find it: still here, queued
    await act(ann, o, 'handover.claim');
    await act(ann, o, 'handover.transfer', { transferTo: 'queue:billing' });
    const moved = (await svc.handover.get(o.id))!;
    const billThread = threadOf(moved.deskRef!).conversationId;
    const bill = newAgent('Bill');
    stub.teamMembers.set(BILLING_TEAM, new Set([bill.id]));
    await svc.post('/api/console/messages', { ...teams.action(bill, billThread, threadOf(moved.deskRef!).rootActivityId, 'handover.claim', { escalationId: o.id }, teamsUrl), channelData: { team: { id: BILLING_TEAM }, channel: { id: BILLING_CHANNEL }, tenant: { id: AGENT_TENANT } } });
    await svc.relay.idle();
    // The store answers the reply's read of the thread's chat with the version from before the move (a read that raced
    // the move and the claim); everything after it reads the stored chat.
    const get = svc.store.escalations.get.bind(svc.store.escalations);
    let served = false;
    svc.store.escalations.get = async (id) => (id === o.id && !served ? ((served = true), stale) : get(id));
    try {
      await say(ann, o.threadId, 'still there?');
    } finally {
      svc.store.escalations.get = get;
    }
    assert.ok(served, 'the reply read the stale copy');
    assert.match(inThread(o.threadId).at(-1)?.body.text ?? '', /moved to the billing queue: your message was not sent/);
    assert.ok(!inThread(billThread).some((c) => /handled by Bill/.test(c.body.text ?? '')), 'nothing about it in the billing thread');
    assert.ok(!toCustomer(o).some((t) => /still there\?/.test(t ?? '')));
  });

  it('to a queue no channel serves yet: refused with what to do, and the chat stays with its owner', async () => {
    const ann = member('Ann');
    const o = await claimed(ann);
    const creates = stub.calls.filter((c) => c.kind === 'create').length;
    const r = await act(ann, o, 'handover.transfer', { transferTo: 'queue:returns' });
    assert.match(r.body.value, /No channel serves the returns queue yet: someone in its team types "use this channel for returns"/);
    const e = await svc.handover.get(o.id);
    assert.deepEqual([e?.status, e?.queue ?? 'default', e?.owner?.id], ['claimed', 'default', ann.id]);
    assert.equal(stub.calls.filter((c) => c.kind === 'create').length, creates, 'no thread tried anywhere');
  });

  it('to a queue: a new card and thread there with the conversation so far; the old card says where it went; lines keep coming, once', async () => {
    const ann = member('Ann');
    const o = await claimed(ann);
    await svc.post('/api/messages', skill.message(o.customer, 'The invoice says 400 € "twice"', expectReplies));
    await say(ann, o.threadId, 'That is a billing question, one moment');
    // Teams refuses the new thread once: a customer line sent meanwhile must wait for it, then arrive there once.
    stub.inject((c) => c.kind === 'create', { status: 503 }, 1);
    await act(ann, o, 'handover.transfer', { transferTo: 'queue:billing' });
    await svc.post('/api/messages', skill.message(o.customer, 'Are you still there?', expectReplies));
    await svc.relay.idle();
    await stub.waitFor(() => stub.calls.some((c) => c.kind === 'create' && c.status < 300 && c.body.channelData.channel.id === BILLING_CHANNEL && JSON.stringify(c.body).includes(o.id)), 10_000, 'billing thread');
    await svc.relay.idle();
    const e = (await svc.handover.get(o.id))!;
    assert.deepEqual([e.status, e.queue, e.owner], ['queued', 'billing', undefined]);
    const fresh = threadOf(e.deskRef!);
    assert.notEqual(fresh.conversationId, o.threadId);
    const history = inThread(fresh.conversationId).map((c) => c.body.text as string);
    assert.ok(history.some((t) => /Transferred from the default queue\. The conversation so far:/.test(t) && /Ada Customer: The invoice says 400 € "twice"/.test(t) && /Ann: That is a billing question/.test(t)), history.join('\n---\n'));
    assert.equal(inThread(fresh.conversationId).filter((c) => /Are you still there\?/.test(c.body.text)).length, 1, 'the line sent during the transfer arrives once, in the new thread');
    assert.equal(inThread(o.threadId).filter((c) => /Are you still there\?/.test(c.body.text)).length, 0);
    const oldCards = stub.calls.filter((c) => c.kind === 'update' && c.activityId === o.rootId && c.status < 300);
    const oldCard = oldCards.at(-1);
    assert.match(JSON.stringify(oldCard?.body), /Transferred to billing/);
    assert.doesNotMatch(JSON.stringify(oldCard?.body), /handover\.(claim|release|resolve|transfer)/);
    assert.ok(inThread(o.threadId).some((c) => /transferred this chat from the default queue to the billing queue/.test(c.body.text)));
    assert.match(toCustomer(o).at(-1) ?? '', /transferred your chat to the billing team/);
    await say(ann, o.threadId, 'one more thing');
    assert.ok(!toCustomer(o).some((t) => /one more thing/.test(t)));
    assert.equal((await svc.handover.get(o.id))?.status, 'queued', 'a reply in the old thread does not claim it');
    assert.match(inThread(o.threadId).at(-1)?.body.text ?? '', /no longer reaches the customer/);
    // A billing agent takes it in the new thread.
    const bill = newAgent('Bill');
    stub.teamMembers.set(BILLING_TEAM, new Set([bill.id]));
    const claim = await svc.post('/api/console/messages', { ...teams.action(bill, fresh.conversationId, fresh.rootActivityId, 'handover.claim', { escalationId: o.id }, teamsUrl), channelData: { team: { id: BILLING_TEAM }, channel: { id: BILLING_CHANNEL }, tenant: { id: AGENT_TENANT } } });
    assert.equal(claim.status, 200);
    assert.equal((await svc.handover.get(o.id))?.owner?.id, bill.id);
  });
});
