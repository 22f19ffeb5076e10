import { strict as assert } from 'node:assert';
import { escalateToTeamsDesk, teamMember } from '../helpers/teamsDesk';
import { ConnectorStub, type RecordedCall } from '../helpers/connectorStub';
import { newAgent, newCustomer, skill, teams, type Agent, type Customer } from '../helpers/activities';
import { bases, CHANNEL_ID, startService, type TestService } from '../helpers/service';

describe('agent console (Teams channel threads over HTTP)', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  let teamsUrl: string;
  const expectReplies = { deliveryMode: 'expectReplies' };

  before(async () => {
    stub = await new ConnectorStub().start();
    svc = await startService(stub);
    teamsUrl = `${stub.url}${bases.teams}/`;
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  interface Open {
    id: string;
    customer: Customer;
    threadId: string;
    rootId: string;
    card: any;
  }

  async function escalate(customer = newCustomer(), value: Record<string, string> = { ProblemDescription: 'My printer is on fire' }): Promise<Open> {
    const o = await escalateToTeamsDesk(svc, stub, value, customer);
    return { ...o, card: o.create.body.activity.attachments[0].content };
  }

  const member = (name: string): Agent => teamMember(stub, name);
  const act = (agent: Agent, o: Open, verb: string) => svc.post('/api/console/messages', teams.action(agent, o.threadId, o.rootId, verb, { escalationId: o.id }, teamsUrl));
  const say = (agent: Agent, o: Open, text: string, mention = false) => svc.post('/api/console/messages', teams.reply(agent, o.threadId, text, teamsUrl, mention));
  const toCustomer = (o: Open) => stub.calls.filter((c) => c.base.startsWith(bases.customer) && c.conversationId === o.customer.conversationId && c.status < 300);
  const toThread = (o: Open) => stub.calls.filter((c) => c.kind === 'send' && c.conversationId === o.threadId && c.status < 300);
  const updates = (o: Open) => stub.calls.filter((c) => c.kind === 'update' && c.activityId === o.rootId && c.status < 300);
  const texts = (calls: RecordedCall[]) => calls.map((c) => c.body.text as string);
  const cardText = (card: any) => JSON.stringify(card);
  const settle = () => svc.relay.idle();

  describe('the escalation card', () => {
    it('opens a new thread in the agent channel with an Adaptive Card 1.5 and empty text', async () => {
      const o = await escalate(newCustomer('Grace Hopper'), { ProblemDescription: 'Printer', Context: JSON.stringify({ va_LastTopic: 'Printers', va_LastPhrases: 'it smokes' }) });
      const create = stub.calls.find((c) => c.kind === 'create' && c.conversationId === o.threadId)!;
      assert.equal(create.base, bases.teams);
      assert.equal(create.body.isGroup, true);
      assert.equal(create.body.channelData.channel.id, CHANNEL_ID);
      assert.equal(create.body.activity.text, '');
      assert.equal(o.card.version, '1.5');
      const s = cardText(o.card);
      for (const expected of ['Grace Hopper', 'Printer', 'Last topic', 'Printers', 'it smokes', 'Queued', 'Waiting since']) assert.ok(s.includes(expected), expected);
      const claim = o.card.actions.find((a: any) => a.verb === 'handover.claim');
      assert.deepEqual({ type: claim.type, data: claim.data }, { type: 'Action.Execute', data: { escalationId: o.id } });
      assert.ok(Buffer.byteLength(s) < 28 * 1024);
    });

    it('shows customer text as data: template syntax, markdown links and HTML stay plain text', async () => {
      const nasty = '${escalationId} [click me](https://evil.example) <b>bold</b> {{DATE(2020-01-01T00:00:00Z)}}';
      const o = await escalate(newCustomer('${customerName}'), { ProblemDescription: nasty });
      const runs: string[] = [];
      const walk = (n: any) => {
        if (!n || typeof n !== 'object') return;
        if (n.type === 'TextRun') runs.push(n.text);
        Object.values(n).forEach(walk);
      };
      walk(o.card);
      assert.ok(runs.includes(nasty), 'problem bound verbatim into a TextRun (no markdown)');
      assert.ok(runs.includes('${customerName}'), 'name not expanded');
      const textBlocks = JSON.stringify(o.card.body.filter((b: any) => b.type === 'TextBlock'));
      assert.ok(!textBlocks.includes('evil.example'), 'customer text never lands in a markdown TextBlock');
    });

    it('cuts long values for the card and keeps the card under 28 KB', async () => {
      const long = 'x'.repeat(20_000);
      const context = JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`var${i}`, 'y'.repeat(1500)])));
      const o = await escalate(newCustomer('N'.repeat(500)), { ProblemDescription: long, Context: context });
      assert.ok(Buffer.byteLength(cardText(o.card)) < 28 * 1024);
      assert.ok(cardText(o.card).includes('…'));
      const e = await svc.handover.get(o.id);
      assert.equal(e?.problem.length, 4000, 'the stored problem keeps up to the input limit');
      await settle();
      const thread = texts(toThread(o)).map((t) => t.replace(/^ℹ️ /, '')).join('');
      assert.ok(thread.includes('Full details'), 'the full text goes to the thread');
      assert.ok(thread.includes(e!.problem), 'every character of the problem is in the thread');
      assert.ok(Object.keys(e!.context).length > 5);
      assert.ok(Object.values(e!.context).every((v) => thread.includes(v)), 'context values too');
    });
  });

  describe('claim', () => {
    it('20 concurrent claims: exactly one owner, one join message, every answer shows the same owner', async () => {
      const o = await escalate();
      const agents = Array.from({ length: 20 }, (_, i) => member(`Agent ${i}`));
      const results = await Promise.all(agents.map((a) => act(a, o, 'handover.claim')));
      for (const r of results) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.statusCode, 200);
        assert.equal(r.body.type, 'application/vnd.microsoft.card.adaptive');
      }
      const e = (await svc.handover.get(o.id))!;
      assert.equal(e.status, 'claimed');
      const owners = new Set(results.map((r) => /Claimed by (Agent \d+)/.exec(cardText(r.body.value))?.[1]));
      assert.deepEqual([...owners], [e.owner!.name]);
      await settle();
      const joins = texts(toCustomer(o)).filter((t) => t.includes('joined the chat'));
      assert.deepEqual(joins, [`${e.owner!.name} joined the chat.`]);
      const last = updates(o).at(-1)!;
      assert.ok(cardText(last.body).includes(`Claimed by ${e.owner!.name}`));
      assert.ok(last.body.attachments[0].content.actions.some((a: any) => a.verb === 'handover.resolve'));
    });

    it('refuses someone who is not a member of the agents\' team', async () => {
      const o = await escalate();
      const stranger = newAgent('Mallory');
      const r = await act(stranger, o, 'handover.claim');
      assert.equal(r.status, 200);
      assert.equal(r.body.type, 'application/vnd.microsoft.activity.message');
      assert.match(r.body.value, /Only members of the agents' team/);
      assert.equal((await svc.handover.get(o.id))?.status, 'queued');
    });

    it('refuses an actor from another tenant', async () => {
      const o = await escalate();
      const outsider = member('Eve');
      const r = await svc.post('/api/console/messages', teams.action(outsider, o.threadId, o.rootId, 'handover.claim', { escalationId: o.id }, teamsUrl, 'ffffffff-0000-4000-8000-000000000009'));
      assert.match(r.body.value, /Only the support organisation/);
      assert.equal((await svc.handover.get(o.id))?.status, 'queued');
    });

    it('the first reply on a queued escalation claims it for its author', async () => {
      const o = await escalate();
      const ann = member('Ann');
      await say(ann, o, 'Hi, I can help');
      await settle();
      const e = await svc.handover.get(o.id);
      assert.equal(e?.owner?.id, ann.id);
      assert.deepEqual(texts(toCustomer(o)).slice(-2), ['Ann joined the chat.', '**Ann**: Hi, I can help']);
    });
  });

  describe('messages both ways', () => {
    it('the owner\'s reply reaches the customer under the agent\'s name, @mention stripped', async () => {
      const o = await escalate();
      const ann = member('Ann');
      await act(ann, o, 'handover.claim');
      const r = await say(ann, o, 'Have you tried turning it off?', true);
      assert.equal(r.status, 200);
      await settle();
      const last = toCustomer(o).at(-1)!;
      assert.equal(last.body.text, '**Ann**: Have you tried turning it off?');
      assert.equal(last.base, `${bases.customer}/amer/${last.base.split('/').at(-1)}`);
    });

    it('a non-owner\'s reply is not relayed; the thread says who owns the chat', async () => {
      const o = await escalate();
      const ann = member('Ann');
      const bob = member('Bob');
      await act(ann, o, 'handover.claim');
      await settle();
      const before = toCustomer(o).length;
      await say(bob, o, 'I know this one');
      await settle();
      assert.equal(toCustomer(o).length, before);
      assert.match(texts(toThread(o)).at(-1)!, /handled by Ann/);
    });

    it('a note stays internal and is marked as a note in the thread', async () => {
      const o = await escalate();
      const ann = member('Ann');
      await act(ann, o, 'handover.claim');
      await settle();
      const before = toCustomer(o).length;
      await say(ann, o, '/note customer sounds upset');
      await settle();
      assert.equal(toCustomer(o).length, before);
      assert.match(texts(toThread(o)).at(-1)!, /Note kept internal/);
      const notes = (await svc.handover.transcript(o.id)).filter((t) => t.kind === 'note');
      assert.deepEqual(notes.map((n) => [n.text, n.direction]), [['customer sounds upset', 'internal']]);
    });

    it('each customer line appears in the thread, in order', async () => {
      const o = await escalate(newCustomer('Ada'));
      for (const line of ['one', 'two', 'three']) await svc.post('/api/messages', skill.message(o.customer, line, expectReplies));
      await settle();
      assert.deepEqual(texts(toThread(o)).filter((t) => t.startsWith('Ada:')), ['Ada: one', 'Ada: two', 'Ada: three']);
      assert.equal(toThread(o)[0].body.textFormat, 'plain');
    });

    it('the card shows when the last line went through, from the next state change on', async () => {
      const o = await escalate();
      await svc.post('/api/messages', skill.message(o.customer, 'anyone there?', expectReplies));
      await act(member('Ann'), o, 'handover.claim');
      await settle();
      const facts = updates(o).at(-1)!.body.attachments[0].content.body.find((b: any) => b.type === 'FactSet').facts;
      assert.ok(facts.some((f: any) => f.title === 'Last message' && /UTC/.test(f.value)), JSON.stringify(facts));
    });

    it('splits a long agent reply within Teams\' size limit without losing a character', async () => {
      const o = await escalate();
      const ann = member('Ann');
      await act(ann, o, 'handover.claim');
      await settle();
      const before = toCustomer(o).length;
      const long = Array.from({ length: 9000 }, (_, i) => `w${i}`).join(' ');
      await say(ann, o, long);
      await settle();
      const parts = toCustomer(o).slice(before).map((c) => c.body.text.replace(/^\*\*Ann\*\*: /, ''));
      assert.ok(parts.length >= 2);
      for (const c of toCustomer(o).slice(before)) assert.ok(Buffer.byteLength(JSON.stringify(c.body)) < 28 * 1024);
      assert.equal(parts.join(''), long);
    });
  });

  describe('release and resolve', () => {
    it('release puts the chat back in the queue: card offers Claim, customer is told', async () => {
      const o = await escalate();
      const ann = member('Ann');
      await act(ann, o, 'handover.claim');
      const r = await act(ann, o, 'handover.release');
      assert.ok(r.body.value.actions.some((a: any) => a.verb === 'handover.claim'));
      await settle();
      assert.equal((await svc.handover.get(o.id))?.status, 'queued');
      assert.match(texts(toCustomer(o)).at(-1)!, /handed your chat back to the queue/);
      assert.ok(cardText(updates(o).at(-1)!.body).includes('Queued'));
    });

    it('only the owner can resolve', async () => {
      const o = await escalate();
      const ann = member('Ann');
      const bob = member('Bob');
      await act(ann, o, 'handover.claim');
      const r = await act(bob, o, 'handover.resolve');
      assert.ok(cardText(r.body.value).includes('Claimed by Ann'));
      assert.equal((await svc.handover.get(o.id))?.status, 'claimed');
    });

    it('resolve closes the chat, tells the customer, and the next sendMessage hands back to Copilot Studio', async () => {
      const o = await escalate();
      const ann = member('Ann');
      await act(ann, o, 'handover.claim');
      const r = await act(ann, o, 'handover.resolve');
      assert.ok(cardText(r.body.value).includes('Resolved by Ann'));
      await settle();
      // The goodbye, then the survey card (closing.spec.ts covers it).
      assert.match(texts(toCustomer(o)).at(-2)!, /back with the virtual agent/);
      assert.ok(cardText(updates(o).at(-1)!.body).includes('Resolved by Ann'));
      const next = await svc.post('/api/messages', skill.message(o.customer, 'thanks!', expectReplies));
      assert.equal(next.body.activities.length, 1);
      assert.equal(next.body.activities[0].type, 'endOfConversation');
      assert.equal(next.body.activities[0].value.Reason, 'closed:agent');
      const late = await say(ann, o, 'one more thing');
      assert.equal(late.status, 200);
      await settle();
      assert.match(texts(toThread(o)).at(-1)!, /closed/);
    });

    it('when the customer says goodbye first, the card says so and the thread is told', async () => {
      const o = await escalate();
      const ann = member('Ann');
      await act(ann, o, 'handover.claim');
      await svc.post('/api/messages', skill.end(o.customer, expectReplies));
      await settle();
      assert.ok(cardText(updates(o).at(-1)!.body).includes('Customer left'));
      assert.match(texts(toThread(o)).at(-1)!, /customer left/);
      const r = await act(ann, o, 'handover.resolve');
      assert.ok(cardText(r.body.value).includes('Customer left'));
    });
  });
});

describe('choosing the agent channel in Teams', () => {
  let stub: ConnectorStub;
  let svc: TestService;

  before(async () => {
    stub = await new ConnectorStub().start();
    svc = await startService(stub, { AGENT_CHANNEL_ID: '', AGENT_TEAM_ID: '', AGENT_SERVICE_URL: '' });
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  it('records the installation, takes "use this channel" from a standard channel, then posts escalations there', async () => {
    const teamsUrl = `${stub.url}${bases.teams}/`;
    assert.equal((await svc.post('/api/console/messages', teams.installed(teamsUrl))).status, 200);
    const admin = newAgent('Admin');
    const command = teams.reply(admin, '19:support-escalations@thread.tacv2;messageid=42', 'use this channel', teamsUrl, true);
    command.channelData.channel.id = '19:support-escalations@thread.tacv2';
    assert.equal((await svc.post('/api/console/messages', command)).status, 200);
    await stub.waitFor((calls) => calls.some((c) => c.kind === 'send' && /New escalations will be posted/.test(c.body?.text ?? '')));
    await svc.post('/api/messages', skill.start(newCustomer(), { ProblemDescription: 'x' }, { deliveryMode: 'expectReplies' }));
    await stub.waitFor((calls) => calls.some((c) => c.kind === 'create'));
    const create = stub.calls.find((c) => c.kind === 'create')!;
    assert.equal(create.body.channelData.channel.id, '19:support-escalations@thread.tacv2');
  });
});
