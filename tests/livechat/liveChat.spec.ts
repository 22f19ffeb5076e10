/**
 * The live-chat desk over HTTP: the reference sample's REST contract toward a desk stub (start, receive, end), its
 * agents' lines arriving on our Standard Webhooks-signed endpoint, every signature failure, 404/400, a desk that
 * answers 503 or is down, and both desks serving at once. The customer side behaves as with the Teams console.
 */
import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ConnectorStub } from '../helpers/connectorStub';
import { LiveChatDeskStub } from '../helpers/liveChatDeskStub';
import { threadOf } from '../../src/console/teamsChannelDesk';
import { newAgent, newCustomer, skill, teams, type Customer } from '../helpers/activities';
import { bases, startService, TEAM_ID, type TestService } from '../helpers/service';

const expectReplies = { deliveryMode: 'expectReplies' };
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const API_KEY = 'desk-api-key-for-tests';

describe('the live-chat desk (REST contract, signed webhooks) over HTTP', () => {
  let stub: ConnectorStub;
  let desk: LiveChatDeskStub;
  let svc: TestService;

  before(async () => {
    stub = await new ConnectorStub().start();
    desk = await new LiveChatDeskStub().start();
    svc = await startService(stub, {
      DESK: 'livechat',
      LIVECHAT_BASE_URL: desk.url,
      LIVECHAT_API_KEY: API_KEY,
      LIVECHAT_WEBHOOK_SECRET: SECRET,
      AGENT_QUEUES: JSON.stringify([{ name: 'teamsdesk', teamId: TEAM_ID, channelId: '19:teamsdesk@thread.tacv2', desk: 'teams' }]),
    });
  });
  after(async () => {
    await svc.close();
    await desk.stop();
    await stub.stop();
  });
  afterEach(() => {
    desk.failures.clear();
    desk.down = undefined;
    desk.plainStart = false;
    desk.sameId = undefined;
    desk.pageStart = undefined;
  });

  async function escalate(value: Record<string, string> = {}): Promise<{ id: string; customer: Customer; conversationId: string }> {
    const customer = newCustomer();
    const res = await svc.post('/api/messages', skill.start(customer, { ProblemDescription: 'My parcel is late', Context: JSON.stringify({ orderId: 'A-17' }), ...value }, expectReplies));
    const id = res.body.activities[0].value.LiveChatConversationId as string;
    await svc.relay.idle();
    const start = desk.ok('/api/chat/start').find((c) => c.body.escalationId === id);
    assert.ok(start, 'the desk was asked to start a chat');
    const e = await svc.handover.get(id);
    return { id, customer, conversationId: (e!.deskRef!.address as { conversationId: string }).conversationId };
  }
  const signed = (body: unknown, options: { id?: string; at?: Date; secret?: string; tamper?: (raw: string) => string } = {}) => {
    const raw = JSON.stringify(body);
    const id = options.id ?? `msg_${randomUUID()}`;
    const at = options.at ?? new Date();
    const signature = new Webhook(options.secret ?? SECRET).sign(id, at, raw);
    return { raw: options.tamper ? options.tamper(raw) : raw, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature } };
  };
  const hook = async (body: unknown, options: Parameters<typeof signed>[1] = {}) => {
    const s = signed(body, options);
    const r = await svc.post('/api/livechat/messages', s.raw, s.headers);
    await svc.relay.idle();
    return r;
  };
  const toCustomer = (c: Customer) => stub.calls.filter((x) => x.base.startsWith(bases.customer) && x.conversationId === c.conversationId && x.status < 300).map((x) => x.body.text as string);
  const say = async (c: Customer, text: string) => {
    const r = await svc.post('/api/messages', skill.message(c, text, expectReplies));
    await svc.relay.idle();
    return r;
  };

  it('start carries the problem, the customer, the context and our id; customer lines go to receive in order, with the API key', async () => {
    const o = await escalate();
    const start = desk.ok('/api/chat/start').find((c) => c.body.escalationId === o.id)!;
    assert.deepEqual(start.body, { escalationId: o.id, problem: 'My parcel is late', customerName: 'Ada Customer', context: { orderId: 'A-17' }, queue: 'default' });
    assert.equal(start.apiKey, API_KEY);
    for (let i = 1; i <= 5; i++) await svc.post('/api/messages', skill.message(o.customer, `line ${i}`, expectReplies));
    await svc.relay.idle();
    const received = desk.ok('/api/chat/receive').filter((c) => c.body.conversationId === o.conversationId && c.body.sender === 'Ada Customer');
    assert.deepEqual(received.map((c) => c.body.message), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    assert.ok(received.every((c) => c.apiKey === API_KEY));
  });

  it('joined, message and ended from the desk: the customer is told who joined, gets each line in order, then is handed back', async () => {
    const o = await escalate();
    assert.equal((await hook({ conversationId: o.conversationId, sender: 'Jane Agent', type: 'joined' })).status, 200);
    assert.equal(toCustomer(o.customer).at(-1), 'Jane Agent joined the chat.');
    for (let i = 1; i <= 4; i++) assert.equal((await hook({ conversationId: o.conversationId, message: `answer ${i}`, sender: 'Jane Agent' })).status, 200);
    assert.deepEqual(toCustomer(o.customer).filter((t) => t.startsWith('**Jane Agent**')), [1, 2, 3, 4].map((i) => `**Jane Agent**: answer ${i}`));
    // PascalCase as the sample sends it.
    assert.equal((await hook({ ConversationId: o.conversationId, Message: 'in PascalCase', Sender: 'Jane Agent' })).status, 200);
    assert.equal(toCustomer(o.customer).at(-1), '**Jane Agent**: in PascalCase');
    assert.equal((await hook({ conversationId: o.conversationId, sender: 'Jane Agent', type: 'ended' })).status, 200);
    const e = await svc.handover.get(o.id);
    assert.deepEqual([e?.status, e?.closedReason, e?.closedBy?.name], ['closed', 'agent', 'Jane Agent']);
    assert.ok(toCustomer(o.customer).some((t) => /^Jane Agent ended the chat\./.test(t)));
    const next = await say(o.customer, 'ok');
    assert.equal(next.body.activities.at(-1).type, 'endOfConversation');
    assert.equal(desk.calls.filter((c) => c.path === '/api/chat/end' && c.body.conversationId === o.conversationId).length, 0, 'the desk ended it itself');
  });

  it('the customer leaving ends the chat on the desk', async () => {
    const o = await escalate();
    await svc.post('/api/messages', skill.end(o.customer, expectReplies));
    await svc.relay.idle();
    assert.deepEqual(desk.ok('/api/chat/end').filter((c) => c.body.conversationId === o.conversationId).map((c) => c.body), [{ conversationId: o.conversationId }]);
  });

  it('every signature failure is 401 and changes nothing; a replayed webhook id is acknowledged and relayed once', async () => {
    const o = await escalate();
    const body = { conversationId: o.conversationId, message: 'signed?', sender: 'Mallory' };
    const before = toCustomer(o.customer).length;
    const unsigned = await svc.post('/api/livechat/messages', JSON.stringify(body));
    const wrong = await hook(body, { secret: `whsec_${randomBytes(32).toString('base64')}` });
    const tampered = await hook(body, { tamper: (raw) => raw.replace('signed?', 'tampered') });
    const stale = await hook(body, { at: new Date(Date.now() - 6 * 60_000) });
    assert.deepEqual([unsigned.status, wrong.status, tampered.status, stale.status], [401, 401, 401, 401]);
    assert.equal(toCustomer(o.customer).length, before, 'nothing reached the customer');
    assert.equal((await svc.handover.get(o.id))?.status, 'queued', 'nobody claimed it');
    const once = { conversationId: o.conversationId, message: 'only once', sender: 'Jane Agent' };
    const s = signed(once, { id: 'msg_replayed-1' });
    const first = await svc.post('/api/livechat/messages', s.raw, s.headers);
    const again = await svc.post('/api/livechat/messages', s.raw, s.headers);
    await svc.relay.idle();
    assert.deepEqual([first.status, again.status, again.body.status], [200, 200, 'duplicate']);
    assert.equal(toCustomer(o.customer).filter((t) => t === '**Jane Agent**: only once').length, 1);
    // A replayed joined or ended is stopped by its webhook id alone (no stored line would catch it).
    for (const type of ['joined', 'ended'] as const) {
      const r = signed({ conversationId: o.conversationId, sender: 'Jane Agent', type }, { id: `msg_replayed-${type}` });
      assert.equal((await svc.post('/api/livechat/messages', r.raw, r.headers)).status, 200);
      const replay = await svc.post('/api/livechat/messages', r.raw, r.headers);
      assert.deepEqual([replay.status, replay.body.status], [200, 'duplicate'], type);
    }
  });

  it('an unknown conversationId is 404; a malformed body is 400 with a reason', async () => {
    assert.equal((await hook({ conversationId: 'lc-nope', message: 'hi', sender: 'Jane' })).status, 404);
    const missing = await hook({ conversationId: 'lc-1', message: 'hi' });
    assert.equal(missing.status, 400);
    assert.match(missing.body.reason, /sender/);
    const empty = await hook({ conversationId: 'lc-1', sender: 'Jane' });
    assert.deepEqual([empty.status, /message is required/.test(empty.body.reason)], [400, true]);
    const badType = await hook({ conversationId: 'lc-1', sender: 'Jane', message: 'x', type: 'typing' });
    assert.equal(badType.status, 400);
  });

  it('a desk answering 503 then 200 gets each line once, in order; a plain string answer to start is taken', async () => {
    desk.plainStart = true;
    const o = await escalate();
    assert.match(o.conversationId, /^lc-\d+$/);
    desk.failures.set('/api/chat/receive', [503, 429]);
    for (const text of ['first', 'second', 'third']) await svc.post('/api/messages', skill.message(o.customer, text, expectReplies));
    await svc.relay.idle();
    const mine = desk.calls.filter((c) => c.path === '/api/chat/receive' && c.body.conversationId === o.conversationId);
    assert.deepEqual(mine.map((c) => c.status).slice(0, 2), [503, 429]);
    assert.deepEqual(mine.filter((c) => c.status === 200).map((c) => c.body.message), ['first', 'second', 'third']);
    // The retries of "first" carry the same idempotency key (and body id) as its first attempt.
    const firsts = mine.filter((c) => c.body.message === 'first');
    assert.equal(firsts.length, 3);
    assert.ok(firsts[0].idempotencyKey && firsts.every((c) => c.idempotencyKey === firsts[0].idempotencyKey && c.body.id === firsts[0].idempotencyKey));
  });

  it('a desk that gives a second chat the conversation id of a first: the second is not placed there, its customer is told', async () => {
    const alice = await escalate();
    desk.sameId = alice.conversationId; // the desk restarted its count
    const bob = newCustomer();
    const res = await svc.post('/api/messages', skill.start(bob, { ProblemDescription: 'Where is my refund?' }, expectReplies));
    const bobId = res.body.activities[0].value.LiveChatConversationId as string;
    await svc.relay.idle();
    assert.equal((await svc.handover.get(bobId))?.deskRef, undefined, 'never placed where Alice is');
    assert.match(toCustomer(bob).at(-1)!, /could not reach the support team|no agent could take/i);
    // The desk's agent answers on that conversation: it reaches Alice, never Bob.
    assert.equal((await hook({ conversationId: alice.conversationId, message: 'Hello Alice', sender: 'Dee' })).status, 200);
    assert.equal(toCustomer(bob).some((t) => t.includes('Hello Alice')), false);
    assert.ok(toCustomer(alice.customer).some((t) => t.includes('Hello Alice')));
  });

  it('a web page as the answer to start (a wrong LIVECHAT_BASE_URL) is no conversation id: the customer is told', async () => {
    desk.pageStart = '<html><body>Welcome to nginx!</body></html>';
    const customer = newCustomer();
    const res = await svc.post('/api/messages', skill.start(customer, { ProblemDescription: 'help' }, expectReplies));
    const id = res.body.activities[0].value.LiveChatConversationId as string;
    await svc.relay.idle();
    assert.equal((await svc.handover.get(id))?.deskRef, undefined);
    assert.ok(toCustomer(customer).length > 0 && /could not reach the support team|no agent could take/i.test(toCustomer(customer).at(-1)!), toCustomer(customer).join(' | '));
  });

  it('a desk that stays down: the customer is told, and the line stays stored, marked failed', async () => {
    const o = await escalate();
    desk.down = /^\/api\/chat\/receive$/;
    await say(o.customer, 'are you there?');
    assert.match(toCustomer(o.customer).at(-1)!, /could not reach the support team/);
    const line = (await svc.handover.transcript(o.id)).find((t) => t.text === 'are you there?');
    assert.deepEqual([line?.kind, line?.delivery.state], ['customer', 'failed']);
    assert.ok((line?.delivery.attempts ?? 0) > 1, 'it was retried first');
  });

  it('a Teams agent transfers a chat to a queue of the live-chat desk: it starts there, with the conversation so far', async () => {
    const ann = newAgent('Ann');
    stub.members.add(ann.id);
    const teamsUrl = `${stub.url}${bases.teams}/`;
    const customer = newCustomer('Tina Transfer');
    const res = await svc.post('/api/messages', skill.start(customer, { ProblemDescription: 'Start in Teams', Queue: 'teamsdesk' }, expectReplies));
    const id = res.body.activities[0].value.LiveChatConversationId as string;
    await stub.waitFor((calls) => calls.some((c) => c.kind === 'create' && c.status < 300 && JSON.stringify(c.body).includes(id)), 10_000, 'the Teams thread');
    await svc.relay.idle();
    const t = threadOf((await svc.handover.get(id))!.deskRef!);
    const act = (verb: string, data: Record<string, unknown> = {}) => svc.post('/api/console/messages', teams.action(ann, t.conversationId, t.rootActivityId, verb, { escalationId: id, ...data }, teamsUrl));
    await act('handover.claim');
    await say(customer, 'my question in Teams');
    await act('handover.transfer', { transferTo: 'queue:default' });
    await svc.relay.idle();
    const e = await svc.handover.get(id);
    assert.deepEqual([e?.queue, e?.desk, e?.deskRef?.desk, e?.status], ['default', 'livechat', 'livechat', 'queued']);
    const conversationId = (e!.deskRef!.address as { conversationId: string }).conversationId;
    assert.ok(desk.ok('/api/chat/start').some((c) => c.body.escalationId === id && c.body.queue === 'default'));
    const history = desk.ok('/api/chat/receive').find((c) => c.body.conversationId === conversationId && c.body.sender === 'System');
    assert.match(history?.body.message, /Transferred from the teamsdesk queue[\s\S]*Tina Transfer: my question in Teams/);
    await say(customer, 'now on the desk');
    assert.ok(desk.ok('/api/chat/receive').some((c) => c.body.conversationId === conversationId && c.body.message === 'now on the desk'));
    assert.equal(stub.calls.filter((c) => c.kind === 'send' && c.conversationId === t.conversationId && /now on the desk/.test(c.body?.text ?? '')).length, 0, 'the Teams thread no longer gets the lines');
  });

  it('a chat transferred away from the live-chat desk is ended there, and its old conversation can no longer act on it', async () => {
    const o = await escalate();
    assert.equal((await hook({ conversationId: o.conversationId, sender: 'Jane Agent', type: 'joined' })).status, 200);
    const lead = { id: 'sup-1', name: 'Sue Supervisor' };
    await svc.handover.transfer(o.id, lead, { kind: 'queue', queue: 'teamsdesk' }, true);
    await stub.waitFor((calls) => calls.some((c) => c.kind === 'create' && c.status < 300 && JSON.stringify(c.body).includes(o.id)), 10_000, 'the Teams thread');
    await svc.relay.idle();
    assert.deepEqual(desk.ok('/api/chat/end').filter((c) => c.body.conversationId === o.conversationId).length, 1);
    const before = toCustomer(o.customer).length;
    for (const body of [{ conversationId: o.conversationId, sender: 'Jane Agent', message: 'still here?' }, { conversationId: o.conversationId, sender: 'Jane Agent', type: 'joined' }, { conversationId: o.conversationId, sender: 'Jane Agent', type: 'ended' }]) {
      const r = await hook(body);
      assert.deepEqual([r.status, r.body.error], [409, 'moved'], JSON.stringify(body));
    }
    const e = await svc.handover.get(o.id);
    assert.deepEqual([e?.status, e?.queue, e?.deskRef?.desk], ['queued', 'teamsdesk', 'teams-channel']);
    assert.equal(toCustomer(o.customer).length, before, 'nothing from the old conversation reached the customer');
  });

  it('both desks at once: a queue with "desk": "teams" goes to a Teams thread, the rest to the live-chat desk', async () => {
    const live = await escalate();
    const customer = newCustomer('Tom Teams');
    const res = await svc.post('/api/messages', skill.start(customer, { ProblemDescription: 'Teams please', Queue: 'teamsdesk' }, expectReplies));
    const id = res.body.activities[0].value.LiveChatConversationId as string;
    await stub.waitFor((calls) => calls.some((c) => c.kind === 'create' && c.status < 300 && JSON.stringify(c.body).includes(id)), 10_000, 'the Teams thread');
    await svc.relay.idle();
    const teamsOne = await svc.handover.get(id);
    assert.deepEqual([teamsOne?.desk, teamsOne?.deskRef?.desk], ['teams-channel', 'teams-channel']);
    assert.equal(desk.calls.filter((c) => c.body?.escalationId === id).length, 0);
    assert.equal((await svc.handover.get(live.id))?.deskRef?.desk, 'livechat');
  });
});
