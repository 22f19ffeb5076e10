/** Supervisors over HTTP: their own view of every card, Reassign and Force close, and nobody else's. */
import { strict as assert } from 'node:assert';
import { escalateToTeamsDesk, teamMember, type OpenChat } from '../helpers/teamsDesk';
import { ConnectorStub } from '../helpers/connectorStub';
import { skill, teams, type Agent } from '../helpers/activities';
import { bases, startService, type TestService } from '../helpers/service';

const expectReplies = { deliveryMode: 'expectReplies' };
const SUE = { id: '29:sue', name: 'Sue Supervisor', aadObjectId: '5e5e5e5e-0000-4000-8000-000000005e5e' };
const BOB = { id: '29:bob', name: 'Bob Builder', aadObjectId: 'b0b0b0b0-0000-4000-8000-00000000b0b0' };

/** A chat on the Teams desk, as the tests address it. */
type Open = Pick<OpenChat, 'id' | 'customer' | 'threadId' | 'rootId'>;

describe('supervisors over HTTP', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  let teamsUrl: string;

  before(async () => {
    stub = await new ConnectorStub().start();
    for (const p of [SUE, BOB]) {
      stub.people.set(p.aadObjectId, p);
      stub.members.add(p.id);
    }
    svc = await startService(stub, { SUPERVISORS: SUE.aadObjectId.toUpperCase(), AGENT_QUEUES: JSON.stringify([{ name: 'billing', teamId: '19:billing-team@thread.tacv2', channelId: '19:billing-channel@thread.tacv2' }]) });
    teamsUrl = `${stub.url}${bases.teams}/`;
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  const escalate = (): Promise<Open> => escalateToTeamsDesk(svc, stub);
  const act = async (who: Agent & { aadObjectId?: string }, o: Open, verb: string, data: Record<string, unknown> = {}) => {
    const a = teams.action(who, o.threadId, o.rootId, verb, { escalationId: o.id, ...data }, teamsUrl);
    const r = await svc.post('/api/console/messages', { ...a, from: { ...a.from, ...(who.aadObjectId ? { aadObjectId: who.aadObjectId } : {}) } });
    await svc.relay.idle();
    return r;
  };
  const titles = (r: { body: any }) => (r.body.value.actions ?? []).map((x: any) => x.title as string);
  const member = (name: string) => teamMember(stub, name);

  it('every card names the supervisors for a view of their own; only they see Reassign and Force close', async () => {
    const o = await escalate();
    const create = stub.calls.find((c) => c.kind === 'create' && c.conversationId === o.threadId)!;
    assert.deepEqual(create.body.activity.attachments[0].content.refresh.userIds, [SUE.id], 'queued: the supervisor');
    const ann = member('Ann');
    await act(ann, o, 'handover.claim');
    const update = stub.calls.filter((c) => c.kind === 'update' && c.activityId === o.rootId).at(-1)!;
    assert.deepEqual(update.body.attachments[0].content.refresh.userIds, [ann.id, SUE.id]);
    assert.deepEqual(titles(await act(SUE, o, 'handover.refresh')), ['Release', 'Resolve', 'Transfer', 'Reassign', 'Force close']);
    assert.deepEqual(titles(await act(ann, o, 'handover.refresh')), ['Release', 'Resolve', 'Transfer']);
  });

  it('Force close: refused to anyone else; a supervisor closes, the customer is told and handed back', async () => {
    const o = await escalate();
    const ann = member('Ann');
    await act(ann, o, 'handover.claim');
    assert.match((await act(ann, o, 'handover.forceClose')).body.value, /Only supervisors/);
    assert.equal((await svc.handover.get(o.id))?.status, 'claimed');
    const r = await act(SUE, o, 'handover.forceClose');
    assert.match(JSON.stringify(r.body.value), /Closed by Sue Supervisor/);
    const e = await svc.handover.get(o.id);
    assert.deepEqual([e?.status, e?.closedReason, e?.closedBy?.name], ['closed', 'supervisor', 'Sue Supervisor']);
    const told = stub.calls.filter((c) => c.base.startsWith(bases.customer) && c.conversationId === o.customer.conversationId).map((c) => c.body.text as string);
    assert.match(told.at(-1) ?? '', /The support team closed this chat/);
    const next = await svc.post('/api/messages', skill.message(o.customer, 'hello?', expectReplies));
    assert.equal(next.body.activities[0].type, 'endOfConversation');
  });

  it('Reassign: a supervisor gives a queued or claimed chat to a colleague, whoever owns it', async () => {
    const o = await escalate();
    await act(SUE, o, 'handover.reassign', { reassignTo: `agent:${BOB.aadObjectId}` });
    assert.deepEqual([(await svc.handover.get(o.id))?.status, (await svc.handover.get(o.id))?.owner?.id], ['claimed', BOB.id]);
    const ann = member('Ann');
    assert.match((await act(ann, o, 'handover.reassign', { reassignTo: `agent:${BOB.aadObjectId}` })).body.value, /Only supervisors/);
    // A chat another agent has claimed: the supervisor takes it from Ann and gives it to Bob.
    const claimed = await escalate();
    await act(ann, claimed, 'handover.claim');
    assert.equal((await svc.handover.get(claimed.id))?.owner?.id, ann.id);
    await act(SUE, claimed, 'handover.reassign', { reassignTo: `agent:${BOB.aadObjectId}` });
    const after = await svc.handover.get(claimed.id);
    assert.deepEqual([after?.status, after?.owner?.id], ['claimed', BOB.id]);
  });

  it('Reassign to another queue from the card: the answer is the card of the thread it left ("Transferred to billing", no actions)', async () => {
    const o = await escalate();
    const r = await act(SUE, o, 'handover.reassign', { reassignTo: 'queue:billing' });
    assert.equal((await svc.handover.get(o.id))?.queue, 'billing');
    assert.match(JSON.stringify(r.body.value), /Transferred to billing/);
    assert.deepEqual(titles(r), []);
  });

  it('the board: supervisors get a view of their own with Close on each row; closing there answers with the board', async () => {
    const o = await escalate();
    const ann = member('Ann');
    const board = (who: Agent & { aadObjectId?: string }, verb: string, data: Record<string, unknown> = {}) => {
      const a = teams.action(who, o.threadId, o.rootId, verb, data, teamsUrl);
      return svc.post('/api/console/messages', { ...a, from: { ...a.from, ...(who.aadObjectId ? { aadObjectId: who.aadObjectId } : {}) } });
    };
    const forAnn = await board(ann, 'handover.board');
    assert.deepEqual(forAnn.body.value.refresh.userIds, [SUE.id]);
    assert.ok(!JSON.stringify(forAnn.body.value).includes('handover.forceClose'), 'no Close for agents');
    const forSue = await board(SUE, 'handover.board');
    assert.ok(JSON.stringify(forSue.body.value).includes(`"escalationId":"${o.id}","from":"board"`));
    const closed = await board(SUE, 'handover.forceClose', { escalationId: o.id, from: 'board' });
    await svc.relay.idle();
    assert.equal(closed.body.type, 'application/vnd.microsoft.card.adaptive');
    assert.match(JSON.stringify(closed.body.value), /Open escalations/);
    assert.ok(!JSON.stringify(closed.body.value).includes(o.id), 'the closed chat is off the board');
    assert.equal((await svc.handover.get(o.id))?.closedReason, 'supervisor');
  });
});
