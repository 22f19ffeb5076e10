import { strict as assert } from 'node:assert';
import { teamsAddressOf } from '../../src/skill/teamsCustomerChannel';
import { ConnectorStub } from '../helpers/connectorStub';
import { newCustomer, skill, type Customer } from '../helpers/activities';
import { bases, CUSTOMER_TENANT, startService, type TestService } from '../helpers/service';

describe('skill (Copilot Studio protocol over HTTP)', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  /** Copilot Studio's callback URL for normal delivery: a loopback stand-in whose path says pvaruntime. */
  let pva: string;

  before(async () => {
    stub = await new ConnectorStub().start();
    svc = await startService(stub);
    pva = `${stub.url}/pvaruntime/`;
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  const expectReplies = { deliveryMode: 'expectReplies' };
  const startExpect = async (c: Customer, value: Record<string, string> = { ProblemDescription: 'My printer is on fire' }) => {
    const res = await svc.post('/api/messages', skill.start(c, value, expectReplies));
    assert.equal(res.status, 200, res.text);
    return res.body.activities as any[];
  };

  describe('startConversation', () => {
    it('answers expectReplies with exactly one endOfConversation carrying LiveChatConversationId', async () => {
      const activities = await startExpect(newCustomer());
      assert.equal(activities.length, 1);
      const [eoc] = activities;
      assert.equal(eoc.type, 'endOfConversation');
      assert.equal(eoc.name, 'startConversation');
      assert.equal(eoc.code, 'completedSuccessfully');
      assert.match(eoc.value.LiveChatConversationId, /^[0-9a-f-]{36}$/);
      assert.equal(eoc.channelId, 'msteams');
      assert.equal(eoc._channelId, undefined);
    });

    it('answers normal delivery with one endOfConversation posted back to the caller', async () => {
      const c = newCustomer();
      const before = stub.calls.length;
      const res = await svc.post('/api/messages', skill.start(c, { ProblemDescription: 'hi' }, { serviceUrl: pva }));
      assert.equal(res.status, 200, res.text);
      const replies = stub.calls.slice(before).filter((x) => x.base === '/pvaruntime' && x.conversationId === c.conversationId);
      assert.equal(replies.length, 1);
      assert.equal(replies[0].body.type, 'endOfConversation');
      assert.equal(replies[0].body.code, 'completedSuccessfully');
      assert.ok(replies[0].body.value.LiveChatConversationId);
    });

    it('stores the escalation with problem and context before answering', async () => {
      const c = newCustomer('Grace');
      const context = JSON.stringify({ va_LastTopic: 'Printers', va_Phrases: 'printer broken; on fire', OrderNumber: 4711 });
      const [eoc] = await startExpect(c, { ProblemDescription: 'Printer', Context: context });
      const e = await svc.handover.get(eoc.value.LiveChatConversationId);
      assert.ok(e);
      assert.equal(e.status, 'queued');
      assert.equal(e.problem, 'Printer');
      assert.deepEqual(e.context, { va_LastTopic: 'Printers', va_Phrases: 'printer broken; on fire', OrderNumber: '4711' });
      assert.equal(e.customer.name, 'Grace');
      assert.equal(e.customer.conversationId, c.conversationId);
    });

    it('keeps malformed Context as raw text instead of failing', async () => {
      const [eoc] = await startExpect(newCustomer(), { ProblemDescription: 'x', Context: '{not json' });
      const e = await svc.handover.get(eoc.value.LiveChatConversationId);
      assert.deepEqual(e?.context, { raw: '{not json' });
    });

    it('returns the open escalation on a duplicate start (one live chat per customer conversation)', async () => {
      const c = newCustomer();
      const [first] = await startExpect(c);
      const [second] = await startExpect(c);
      assert.equal(second.value.LiveChatConversationId, first.value.LiveChatConversationId);
    });

    it('decides concurrent duplicate starts on the store: all get the same id', async () => {
      const c = newCustomer();
      const results = await Promise.all(Array.from({ length: 8 }, () => svc.post('/api/messages', skill.start(c, { ProblemDescription: 'p' }, expectReplies))));
      const ids = new Set(results.map((r) => r.body.activities[0].value.LiveChatConversationId));
      assert.equal(ids.size, 1);
    });

    it('rewrites the pvaruntime serviceUrl to the Teams one for the region and tenant, and tells the customer they are in line', async () => {
      const c = newCustomer();
      await startExpect(c);
      await stub.waitFor((calls) => calls.some((x) => x.conversationId === c.conversationId && x.kind === 'send'), 10_000, 'in-line notice');
      const sent = stub.calls.find((x) => x.conversationId === c.conversationId && x.kind === 'send')!;
      assert.equal(sent.base, `${bases.customer}/amer/${CUSTOMER_TENANT}`);
      assert.match(sent.body.text, /in line/);
      assert.equal(sent.body.from.id, '28:copilot-agent');
      assert.equal(sent.body.recipient.id, c.userId);
    });

    it('posts the escalation card as a new thread in the agent channel', async () => {
      const c = newCustomer('Linus');
      const [eoc] = await startExpect(c, { ProblemDescription: 'VPN down' });
      const id = eoc.value.LiveChatConversationId;
      await stub.waitFor((calls) => calls.some((x) => x.kind === 'create' && JSON.stringify(x.body).includes(id)), 10_000, 'thread creation');
      await svc.relay.idle();
      const e = await svc.handover.get(id);
      assert.ok(e?.deskRef?.threadId.includes(';messageid='));
    });
  });

  describe('sendMessage', () => {
    it('records the utterance and answers nothing while the chat is live (both delivery modes)', async () => {
      const c = newCustomer();
      const [eoc] = await startExpect(c);
      const id = eoc.value.LiveChatConversationId;
      const r1 = await svc.post('/api/messages', skill.message(c, 'first line', expectReplies));
      assert.equal(r1.status, 200);
      assert.deepEqual(r1.body.activities, []);
      const before = stub.calls.length;
      const r2 = await svc.post('/api/messages', skill.message(c, 'second line', { serviceUrl: pva }));
      assert.equal(r2.status, 200);
      assert.equal(stub.calls.slice(before).filter((x) => x.base === '/pvaruntime').length, 0, 'no endOfConversation while live');
      const lines = (await svc.handover.transcript(id)).filter((t) => t.kind === 'customer').map((t) => t.text);
      assert.deepEqual(lines, ['first line', 'second line']);
    });

    it('records an inbound activity id once when Copilot Studio retries it', async () => {
      const c = newCustomer();
      const [eoc] = await startExpect(c);
      const activity = skill.message(c, 'only once', expectReplies);
      await svc.post('/api/messages', activity);
      await svc.post('/api/messages', activity);
      const lines = (await svc.handover.transcript(eoc.value.LiveChatConversationId)).filter((t) => t.text === 'only once');
      assert.equal(lines.length, 1);
    });

    it('takes ProblemDescription from the first sendMessage when start had none', async () => {
      const c = newCustomer();
      const [eoc] = await startExpect(c, {});
      await svc.post('/api/messages', skill.message(c, 'hello', { ...expectReplies, value: { ProblemDescription: 'Lost my badge' } }));
      const e = await svc.handover.get(eoc.value.LiveChatConversationId);
      assert.equal(e?.problem, 'Lost my badge');
    });

    it('answers endOfConversation when no live chat exists, so the customer returns to the topic', async () => {
      const res = await svc.post('/api/messages', skill.message(newCustomer(), 'anyone?', expectReplies));
      assert.equal(res.status, 200);
      assert.equal(res.body.activities.length, 1);
      assert.equal(res.body.activities[0].type, 'endOfConversation');
      assert.equal(res.body.activities[0].value.Reason, 'noLiveChat');
    });
  });

  describe('endConversation and endOfConversation', () => {
    it('endConversation closes the chat as left by the customer and answers one endOfConversation', async () => {
      for (const mode of ['expectReplies', 'normal'] as const) {
        const c = newCustomer();
        const [eoc] = await startExpect(c);
        const before = stub.calls.length;
        const res = await svc.post('/api/messages', skill.end(c, mode === 'expectReplies' ? expectReplies : { serviceUrl: pva }));
        assert.equal(res.status, 200);
        const replies = mode === 'expectReplies' ? res.body.activities : stub.calls.slice(before).filter((x) => x.base === '/pvaruntime').map((x) => x.body);
        assert.equal(replies.length, 1, mode);
        assert.equal(replies[0].type, 'endOfConversation');
        assert.equal(replies[0].code, 'completedSuccessfully');
        const e = await svc.handover.get(eoc.value.LiveChatConversationId);
        assert.equal(e?.status, 'closed');
        assert.equal(e?.closedReason, 'customer');
      }
    });

    it('answers the import ping (endOfConversation, no chat) with 200', async () => {
      const res = await svc.post('/api/messages', skill.endOfConversation(newCustomer()));
      assert.equal(res.status, 200);
    });

    it('marks an open chat as left when Copilot Studio cancels the skill', async () => {
      const c = newCustomer();
      const [eoc] = await startExpect(c);
      const res = await svc.post('/api/messages', skill.endOfConversation(c));
      assert.equal(res.status, 200);
      const e = await svc.handover.get(eoc.value.LiveChatConversationId);
      assert.equal(e?.closedReason, 'customer');
    });

    it('a new start after the chat closed opens a new escalation', async () => {
      const c = newCustomer();
      const [first] = await startExpect(c);
      await svc.post('/api/messages', skill.end(c, expectReplies));
      const [second] = await startExpect(c);
      assert.notEqual(second.value.LiveChatConversationId, first.value.LiveChatConversationId);
    });
  });

  it('answers an unknown event with an endOfConversation carrying an error code and text', async () => {
    const res = await svc.post('/api/messages', { ...skill.event(newCustomer(), 'transferToMars'), deliveryMode: 'expectReplies' });
    assert.equal(res.status, 200);
    assert.equal(res.body.activities.length, 1);
    const [eoc] = res.body.activities;
    assert.equal(eoc.type, 'endOfConversation');
    assert.equal(eoc.code, 'unknown');
    assert.match(eoc.text, /Unknown action 'transferToMars'/);
  });

  it('uses the global Teams URL when the activity carries no tenant', async () => {
    const c = newCustomer();
    const activity: any = skill.start(c, { ProblemDescription: 'x' }, expectReplies);
    delete activity.conversation.tenantId;
    delete activity.channelData;
    const res = await svc.post('/api/messages', activity);
    const e = await svc.handover.get(res.body.activities[0].value.LiveChatConversationId);
    assert.equal(teamsAddressOf(e!.customer).serviceUrl, `${stub.url}${bases.customer}/teams/`);
  });
});
