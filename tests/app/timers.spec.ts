/**
 * Time on the desk, over HTTP with the connector stub: queue positions and estimates, SLA reminders with Teams
 * mentions, inactivity check-in and close, office hours, restarts and two instances. Time is the test's own clock
 * (passed to the whole service); sweeps are run by the test after moving it, so nothing waits on wall time.
 */
import { strict as assert } from 'node:assert';
import pino from 'pino';
import { threadOf } from '../../src/console/teamsChannelDesk';
import { ConnectorStub, type RecordedCall } from '../helpers/connectorStub';
import { newAgent, newCustomer, skill, teams, type Agent, type Customer } from '../helpers/activities';
import { startCosmosProcess, type CosmosProc } from '../helpers/processes';
import { bases, startService, type TestService } from '../helpers/service';

const expectReplies = { deliveryMode: 'expectReplies' };
const MONDAY_0900Z = Date.parse('2026-12-07T09:00:00Z');

interface Open {
  id: string;
  customer: Customer;
  threadId: string;
  rootId: string;
}

/** A service on the test's clock; `tick` moves the clock and runs a sweep (timers, then what they caused). */
class Desk {
  now = MONDAY_0900Z;
  svc!: TestService;
  readonly teamsUrl: string;

  constructor(readonly stub: ConnectorStub) {
    this.teamsUrl = `${stub.url}${bases.teams}/`;
  }

  async start(env: Record<string, string> = {}, cosmos?: CosmosProc): Promise<this> {
    const store: Record<string, string> = cosmos ? { COSMOS_ENDPOINT: cosmos.endpoint, COSMOS_KEY: 'test-server-accepts-any-key', COSMOS_CA_FILE: cosmos.caFile } : {};
    this.svc = await startService(this.stub, { ...store, ...env }, { clock: () => new Date(this.now), relay: { sweepIntervalMs: 0 } });
    return this;
  }

  async tick(seconds: number): Promise<void> {
    this.now += seconds * 1000;
    await this.svc.relay.sweep();
    await this.svc.relay.idle();
  }

  async escalate(customer = newCustomer()): Promise<Open> {
    this.now += 1000; // customers do not all arrive in the same millisecond
    const res = await this.svc.post('/api/messages', skill.start(customer, { ProblemDescription: 'My printer is on fire' }, expectReplies));
    assert.equal(res.status, 200);
    const id = res.body.activities[0].value.LiveChatConversationId as string;
    await this.svc.relay.idle();
    await this.stub.waitFor((calls) => calls.some((c) => c.kind === 'create' && JSON.stringify(c.body).includes(id)), 10_000, 'card thread');
    const thread = threadOf((await this.svc.handover.get(id))!.deskRef!);
    return { id, customer, threadId: thread.conversationId, rootId: thread.rootActivityId };
  }

  member(name: string): Agent {
    const a = newAgent(name);
    this.stub.members.add(a.id);
    return a;
  }

  async claim(agent: Agent, o: Open): Promise<void> {
    assert.equal((await this.svc.post('/api/console/messages', teams.action(agent, o.threadId, o.rootId, 'handover.claim', { escalationId: o.id }, this.teamsUrl))).status, 200);
    await this.svc.relay.idle();
  }

  async agentSays(agent: Agent, o: Open, text: string): Promise<void> {
    assert.equal((await this.svc.post('/api/console/messages', teams.reply(agent, o.threadId, text, this.teamsUrl))).status, 200);
    await this.svc.relay.idle();
  }

  async customerSays(o: Open, text: string) {
    const res = await this.svc.post('/api/messages', skill.message(o.customer, text, expectReplies));
    await this.svc.relay.idle();
    return res;
  }

  toCustomer(o: Open): string[] {
    return this.stub.calls.filter((c) => c.base.startsWith(bases.customer) && c.conversationId === o.customer.conversationId && c.status < 300).map((c) => c.body.text as string);
  }

  /** The thread's messages matching `pattern`, leaving out the closing transcript (which repeats every notice). */
  inThread(o: Open, pattern: RegExp): RecordedCall[] {
    return this.stub.calls.filter((c) => c.kind === 'send' && c.conversationId === o.threadId && c.status < 300 && !String(c.body?.text).startsWith('📄 Transcript') && pattern.test(c.body?.text ?? ''));
  }

  lastCard(o: Open): string {
    const cards = this.stub.calls.filter((c) => c.status < 300 && ((c.kind === 'update' && c.activityId === o.rootId) || (c.kind === 'create' && c.conversationId === o.threadId)));
    return JSON.stringify(cards.at(-1)?.body ?? {});
  }
}

describe('time on the desk (timers over HTTP)', function () {
  this.timeout(60_000);
  let stub: ConnectorStub;
  const running: Desk[] = [];
  const desk = async (env: Record<string, string> = {}, cosmos?: CosmosProc) => {
    const d = await new Desk(stub).start(env, cosmos);
    running.push(d);
    return d;
  };

  beforeEach(async () => {
    stub = await new ConnectorStub().start();
    stub.people.set('dee@contoso.com', { id: '29:dee', name: 'Dee Dispatcher' });
    stub.people.set('0b8f0c2e-4c1a-4f7e-9d53-2f1f5a0c9e11', { id: '29:lou', name: 'Lou Lead' });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.svc.close()));
    await stub.stop();
  });

  it('SWEEP_INTERVAL_SECONDS=0: the start-up warning says no timer fires while any is on', async () => {
    const warnings = async (env: Record<string, string>) => {
      const lines: string[] = [];
      const svc = await startService(stub, { SWEEP_INTERVAL_SECONDS: '0', ...env }, { log: pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) }) });
      await svc.close();
      return lines.map((l) => JSON.parse(l).msg as string).filter((m) => m.startsWith('SWEEP_INTERVAL_SECONDS=0'));
    };
    const on = await warnings({});
    assert.equal(on.length, 1);
    assert.match(on[0], /no timer fires after start-up \(queue updates, SLA and inactivity reminders, the inactivity close\)/);
    const off = await warnings({ QUEUE_UPDATE_SECONDS: '0', SLA_CLAIM_SECONDS: '0', SLA_LEAD_SECONDS: '0', SLA_REPLY_SECONDS: '0', INACTIVITY_CHECKIN_SECONDS: '0', INACTIVITY_CLOSE_SECONDS: '0' });
    assert.equal(off.length, 1);
    assert.doesNotMatch(off[0], /timer/);
  });

  const sla = { SLA_NOTIFY: 'dee@contoso.com, tag:MjQzMmYw-night:Night shift', SLA_LEADS: '0b8f0c2e-4c1a-4f7e-9d53-2f1f5a0c9e11' };

  it('an unclaimed escalation gets one reminder @mentioning SLA_NOTIFY, one more for SLA_LEADS, and never again', async () => {
    const d = await desk(sla);
    const o = await d.escalate();
    await d.tick(299);
    assert.equal(d.inThread(o, /nobody has claimed/).length, 0, 'not before SLA_CLAIM_SECONDS');
    assert.match(d.lastCard(o), /On time/);
    await d.tick(2);
    const [first] = d.inThread(o, /nobody has claimed/);
    assert.ok(first, 'the reminder arrived');
    assert.match(first.body.text, /^<at>Dee Dispatcher<\/at> <at>Night shift<\/at> .*waited 5 minutes/);
    assert.deepEqual(first.body.entities, [
      { type: 'mention', text: '<at>Dee Dispatcher</at>', mentioned: { id: '29:dee', name: 'Dee Dispatcher' } },
      { type: 'mention', text: '<at>Night shift</at>', mentioned: { id: 'MjQzMmYw-night', name: 'Night shift', type: 'tag' } },
    ]);
    assert.match(d.lastCard(o), /Overdue: team notified/);
    await d.tick(600);
    const lead = d.inThread(o, /nobody has claimed/);
    assert.equal(lead.length, 2);
    assert.match(lead[1].body.text, /^<at>Lou Lead<\/at> .*Escalated to the team leads/);
    assert.deepEqual(lead[1].body.entities, [{ type: 'mention', text: '<at>Lou Lead</at>', mentioned: { id: '29:lou', name: 'Lou Lead' } }]);
    for (let i = 0; i < 3; i++) await d.tick(600);
    assert.equal(d.inThread(o, /nobody has claimed/).length, 2, 'each reminder once per queued period');
  });

  it('a claim before the due time cancels the reminders; a release starts a new queued period', async () => {
    const d = await desk(sla);
    const o = await d.escalate();
    const ann = d.member('Ann');
    await d.tick(100);
    await d.claim(ann, o);
    await d.tick(1000);
    assert.equal(d.inThread(o, /nobody has claimed/).length, 0);
    assert.equal((await d.svc.post('/api/console/messages', teams.action(ann, o.threadId, o.rootId, 'handover.release', { escalationId: o.id }, d.teamsUrl))).status, 200);
    await d.svc.relay.idle();
    assert.match(d.toCustomer(o).at(-1) ?? '', /handed your chat back to the queue\. You are next in line\./);
    await d.tick(301);
    assert.equal(d.inThread(o, /nobody has claimed/).length, 1, 'queued again: the reminder runs again');
  });

  it('a customer line the owner leaves unanswered for SLA_REPLY_SECONDS: one reminder @mentioning the owner', async () => {
    const d = await desk({ INACTIVITY_CHECKIN_SECONDS: '0' });
    const o = await d.escalate();
    const ann = d.member('Ann');
    await d.claim(ann, o);
    const cardBefore = d.lastCard(o);
    await d.agentSays(ann, o, 'Hello, how can I help?');
    assert.equal(d.lastCard(o), cardBefore, 'the first answer costs no card change of its own');
    // The owner's view refreshes itself (Universal Actions): it shows the time to first response.
    const view = (await d.svc.post('/api/console/messages', teams.action(ann, o.threadId, o.rootId, 'handover.refresh', { escalationId: o.id }, d.teamsUrl))).text;
    assert.match(view, /First response.*after \d+ second/, `the card shows the time to first response: ${view.match(/First response.{0,60}/)?.[0]}`);
    await d.tick(10);
    await d.customerSays(o, 'It is still smoking');
    await d.tick(200);
    await d.customerSays(o, 'Hello?');
    await d.tick(99);
    assert.equal(d.inThread(o, /waited .* for an answer/).length, 0);
    await d.tick(2);
    const reminders = d.inThread(o, /waited .* for an answer/);
    assert.equal(reminders.length, 1);
    assert.deepEqual(reminders[0].body.entities, [{ type: 'mention', text: '<at>Ann</at>', mentioned: { id: ann.id, name: 'Ann' } }]);
    await d.tick(600);
    assert.equal(d.inThread(o, /waited .* for an answer/).length, 1, 'one per unanswered stretch, not per line');
    await d.agentSays(ann, o, 'Sorry, here I am');
    await d.customerSays(o, 'Thanks, and now?');
    await d.tick(301);
    assert.equal(d.inThread(o, /waited .* for an answer/).length, 2, 'a new stretch after the owner answered');
  });

  it('a silent customer is checked in on, then the chat closes as inactive and the skill hands back; a customer line cancels it', async () => {
    const d = await desk({ SLA_REPLY_SECONDS: '0' });
    const ann = d.member('Ann');
    const [quiet, answers] = [await d.escalate(), await d.escalate()];
    for (const o of [quiet, answers]) {
      await d.claim(ann, o);
      await d.agentSays(ann, o, 'Is it fixed now?');
    }
    await d.tick(599);
    assert.ok(!d.toCustomer(quiet).some((t) => /still there/.test(t)));
    await d.tick(2);
    for (const o of [quiet, answers]) assert.equal(d.toCustomer(o).filter((t) => /Are you still there\? This chat closes in 5 minutes/.test(t)).length, 1);
    await d.customerSays(answers, 'Yes, one moment');
    await d.tick(301);
    assert.equal((await d.svc.handover.get(answers.id))?.status, 'claimed', 'the customer answered: not closed');
    const closed = await d.svc.handover.get(quiet.id);
    assert.deepEqual([closed?.status, closed?.closedReason], ['closed', 'inactive']);
    assert.ok(d.toCustomer(quiet).some((t) => /closed because we didn't hear from you/.test(t)));
    assert.equal(d.inThread(quiet, /closed for inactivity/).length, 1);
    assert.match(d.lastCard(quiet), /Closed for inactivity/);
    const next = await d.customerSays(quiet, 'sorry, back now');
    assert.equal(next.body.activities[0].type, 'endOfConversation');
    await d.tick(1200);
    assert.equal(d.toCustomer(quiet).filter((t) => /still there/.test(t)).length, 1, 'nothing fires after the close');
  });

  it('three waiting customers are told their places, and told again when a claim moves them up', async () => {
    const d = await desk({ QUEUE_UPDATE_SECONDS: '60' });
    const chats = [await d.escalate(), await d.escalate(), await d.escalate()];
    assert.match(d.toCustomer(chats[0])[0], /You are next in line\. An agent will join this chat shortly\./);
    assert.match(d.toCustomer(chats[1])[0], /You are number 2 in line\./);
    assert.match(d.toCustomer(chats[2])[0], /You are number 3 in line\./);
    await d.tick(60);
    assert.deepEqual(chats.map((o) => d.toCustomer(o).length), [1, 1, 1], 'nothing changed: nobody is told again');
    await d.claim(d.member('Ann'), chats[0]);
    await d.tick(30);
    assert.deepEqual(chats.map((o) => d.toCustomer(o).length), [2, 1, 1], 'at most every QUEUE_UPDATE_SECONDS');
    await d.tick(30);
    assert.equal(d.toCustomer(chats[1]).at(-1), 'You are next in line.');
    assert.equal(d.toCustomer(chats[2]).at(-1), 'You are now number 2 in line.');
    await d.tick(60);
    assert.deepEqual(chats.map((o) => d.toCustomer(o).length), [2, 2, 2]);
  });

  it('the wait estimate: none with too few claims, the median time-to-claim once there are enough', async () => {
    const d = await desk({ WAIT_ESTIMATE_MIN_SAMPLES: '3', SLA_CLAIM_SECONDS: '0', SLA_LEAD_SECONDS: '0' });
    const ann = d.member('Ann');
    for (const waited of [180, 240]) {
      const o = await d.escalate();
      await d.tick(waited);
      await d.claim(ann, o);
    }
    await d.tick(61); // past the estimate's per-process cache
    const few = await d.escalate();
    assert.doesNotMatch(d.toCustomer(few)[0], /about/);
    await d.tick(600);
    await d.claim(ann, few);
    await d.tick(61);
    const enough = await d.escalate();
    assert.match(d.toCustomer(enough)[0], /You are next in line\. The wait is about 4 minutes\./, 'median of 180, 240 and 600 s');
  });

  it('office hours: outside them the customer is told when agents are back and the reminder waits for opening; holidays too', async () => {
    const d = await desk({ ...sla, OFFICE_HOURS: 'Mon-Fri 08:00-18:00', OFFICE_TIMEZONE: 'Europe/Berlin', HOLIDAYS: '2026-12-24' });
    d.now = Date.parse('2026-12-05T12:00:00Z'); // Saturday 13:00 in Berlin
    const weekend = await d.escalate();
    assert.match(d.toCustomer(weekend)[0], /away right now and back Monday, 08:00 AM GMT\+1/);
    d.now = Date.parse('2026-12-07T07:04:00Z'); // Monday 08:04: open for 4 minutes
    await d.tick(0);
    assert.equal(d.inThread(weekend, /nobody has claimed/).length, 0);
    await d.tick(61);
    assert.equal(d.inThread(weekend, /nobody has claimed/).length, 1, 'five open minutes after opening');
    d.now = Date.parse('2026-12-07T08:00:00Z'); // Monday 09:00: open
    const open = await d.escalate();
    assert.doesNotMatch(d.toCustomer(open)[0], /away/);
    d.now = Date.parse('2026-12-24T09:00:00Z'); // Christmas Eve, a Thursday: closed
    const holiday = await d.escalate();
    assert.match(d.toCustomer(holiday)[0], /back Friday, 08:00 AM GMT\+1/);
  });

  describe('on a store of its own process', () => {
    let cosmos: CosmosProc;
    beforeEach(async () => {
      cosmos = await startCosmosProcess();
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((d) => d.svc.close()));
      await cosmos.kill();
    });

    it('a timer that fell due while no instance ran fires once, when one starts', async () => {
      const first = await desk(sla, cosmos);
      const o = await first.escalate();
      await first.svc.close();
      running.splice(0);
      const second = new Desk(stub);
      second.now = first.now + 400_000;
      running.push(await second.start(sla, cosmos)); // its start-up sweep fires what is due
      await second.svc.relay.idle();
      assert.equal(second.inThread(o, /nobody has claimed/).length, 1);
      await second.tick(5);
      assert.equal(second.inThread(o, /nobody has claimed/).length, 1);
    });

    it('two instances on one store fire each timer once', async () => {
      const [a, b] = [await desk(sla, cosmos), await desk(sla, cosmos)];
      const chats = [await a.escalate(), await b.escalate(), await a.escalate(), await b.escalate()];
      for (const s of [a, b]) s.now += 301_000;
      await Promise.all([a.svc.relay.sweep(), b.svc.relay.sweep()]);
      await Promise.all([a.svc.relay.idle(), b.svc.relay.idle()]);
      for (const o of chats) assert.equal(a.inThread(o, /nobody has claimed/).length, 1, `one reminder for ${o.id}`);
    });
  });
});
