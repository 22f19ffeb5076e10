/**
 * Closing the loop over HTTP: the transcript posted into the thread on every kind of close, split at Teams' size
 * limit without losing a character; the 1–5 survey after an agent's resolve, answered by the customer's next message.
 */
import { strict as assert } from 'node:assert';
import { TEAMS_TEXT_BUDGET_BYTES } from '../../src/outbound/teamsLimits';
import { escalateToTeamsDesk, teamMember, type OpenChat } from '../helpers/teamsDesk';
import { ConnectorStub } from '../helpers/connectorStub';
import { newCustomer, skill, teams, type Agent } from '../helpers/activities';
import { AGENT_TENANT, bases, CHANNEL_ID, startService, TEAM_ID, type TestService } from '../helpers/service';

const expectReplies = { deliveryMode: 'expectReplies' };

/** A chat on the Teams desk, as the tests address it. */
type Open = Pick<OpenChat, 'id' | 'customer' | 'threadId' | 'rootId'>;

describe('closing the loop (transcript, satisfaction survey) over HTTP', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  let teamsUrl: string;

  before(async () => {
    stub = await new ConnectorStub().start();
    svc = await startService(stub);
    teamsUrl = `${stub.url}${bases.teams}/`;
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  const member = (name: string) => teamMember(stub, name);
  const escalate = (on: TestService = svc, name = 'Ada Customer'): Promise<Open> => escalateToTeamsDesk(on, stub, { ProblemDescription: 'My invoice is wrong' }, newCustomer(name));
  const act = async (agent: Agent, o: Open, verb: string, on: TestService = svc) => {
    const r = await on.post('/api/console/messages', teams.action(agent, o.threadId, o.rootId, verb, { escalationId: o.id }, teamsUrl));
    await on.relay.idle();
    return r;
  };
  const agentSays = async (agent: Agent, o: Open, text: string, on: TestService = svc) => {
    await on.post('/api/console/messages', teams.reply(agent, o.threadId, text, teamsUrl));
    await on.relay.idle();
  };
  const customerSays = async (o: Open, text: string, on: TestService = svc) => {
    const r = await on.post('/api/messages', skill.message(o.customer, text, expectReplies));
    await on.relay.idle();
    return r;
  };
  const inThread = (o: Open) => stub.calls.filter((c) => c.kind === 'send' && c.conversationId === o.threadId && c.status < 300).map((c) => c.body);
  const transcriptParts = (o: Open) => inThread(o).map((b) => b.text as string).filter((t) => t.startsWith('📄 Transcript'));
  const toCustomer = (o: Open) => stub.calls.filter((c) => c.base.startsWith(bases.customer) && c.conversationId === o.customer.conversationId && c.status < 300).map((c) => c.body);

  it('on resolve, the thread gets the transcript: both sides, notes marked, claim, release and close, in order, with times', async () => {
    const ann = member('Ann');
    const bob = member('Bob');
    const o = await escalate();
    await customerSays(o, 'Hello? <b>bold</b> *not markdown*');
    await act(ann, o, 'handover.claim');
    await agentSays(ann, o, 'Hi Ada, looking at it');
    await agentSays(ann, o, '/note customer seems upset');
    await act(ann, o, 'handover.release');
    await act(bob, o, 'handover.claim');
    await agentSays(bob, o, 'Bob here, fixed it');
    await customerSays(o, 'Thanks!');
    await act(bob, o, 'handover.resolve');

    const parts = transcriptParts(o);
    assert.equal(parts.length, 1, 'a short chat fits one message');
    const posted = inThread(o).find((b) => b.text === parts[0])!;
    assert.equal(posted.textFormat, 'plain', 'customer text is never rendered as markdown or HTML');
    const lines = parts[0].split('\n');
    const expected = [
      /^Customer: Ada Customer · queue default · opened \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
      /To the customer: Thanks for waiting\. You are in line/,
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] Ada Customer: Hello\? <b>bold<\/b> \*not markdown\*$/,
      /To the customer: Ann joined the chat\./,
      /\] Ann: Hi Ada, looking at it$/,
      /\] Ann \(internal note\): customer seems upset$/,
      /To the customer: Ann handed your chat back to the queue\./,
      /To the customer: Bob joined the chat\./,
      /\] Bob: Bob here, fixed it$/,
      /\] Ada Customer: Thanks!$/,
      /To the customer: Bob ended the chat\./,
      /To the customer: Rate this chat from 1 \(poor\) to 5 \(excellent\)\./,
      /■ Chat closed: resolved by Bob\.$/,
    ];
    let at = 0;
    for (const pattern of expected) {
      const found = lines.findIndex((l, i) => i >= at && pattern.test(l));
      assert.ok(found >= 0, `${pattern} after line ${at} in:\n${parts[0]}`);
      at = found + 1;
    }
    assert.ok(!parts[0].includes('Note kept internal'), 'the service\'s own acknowledgements are not part of the chat');
    // The transcript is the last thing in the thread, after the close's own notice.
    assert.ok(inThread(o).at(-1)!.text.startsWith('📄 Transcript'));
  });

  it('a long chat is split at the size limit into numbered messages that together hold every character', async () => {
    const ann = member('Ann');
    const o = await escalate();
    await act(ann, o, 'handover.claim');
    // Three lines of ~18 KB each, with characters of every UTF-8 width (a surrogate pair must never be cut).
    const long = (seed: string) => `${seed} ` + 'aé€😀 '.repeat(1500) + `end of ${seed}`;
    const said = [long('first'), long('second'), long('third')];
    for (const text of said) await customerSays(o, text);
    await customerSays(o, 'bye'); // the customer leaves instead: a transcript on any close
    await svc.post('/api/messages', skill.end(o.customer, expectReplies));
    await svc.relay.idle();

    const parts = transcriptParts(o);
    assert.ok(parts.length >= 3, `split into ${parts.length}`);
    parts.forEach((p, i) => {
      assert.ok(p.startsWith(`📄 Transcript (${i + 1}/${parts.length})\n`), p.slice(0, 40));
      assert.ok(Buffer.byteLength(p) <= TEAMS_TEXT_BUDGET_BYTES, `part ${i + 1} is ${Buffer.byteLength(p)} bytes`);
    });
    const whole = parts.map((p) => p.slice(p.indexOf('\n') + 1)).join('');
    for (const text of said) assert.ok(whole.includes(`Ada Customer: ${text}\n`), 'every character of each line survives the split');
    assert.match(whole, /To the desk: The customer left the chat\.\n.*■ Chat closed: the customer left\.$/);
    assert.ok(!whole.includes('Rate this chat'), 'no survey when the customer left');
  });

  it('a retried delivery posts no part twice: a part that Teams refused once is retried alone', async () => {
    const ann = member('Ann');
    const o = await escalate();
    await act(ann, o, 'handover.claim');
    for (const text of ['x'.repeat(20_000), 'y'.repeat(20_000)]) await customerSays(o, text);
    // The second transcript part is refused once with a 503; the first is not sent again.
    let parts = 0;
    stub.inject((c) => c.kind === 'send' && c.conversationId === o.threadId && String(c.body?.text).startsWith('📄 Transcript') && ++parts === 2, { status: 503 });
    await act(ann, o, 'handover.resolve');
    await svc.relay.idle();
    const posted = transcriptParts(o);
    assert.equal(posted.length, 2);
    assert.deepEqual(posted.map((p) => p.split('\n')[0]), ['📄 Transcript (1/2)', '📄 Transcript (2/2)']);
  });

  it('the survey after an agent resolves: a card of five imBack buttons; the rating is stored once, thanked for, shown on the card and the board', async () => {
    const ann = member('Ann');
    const o = await escalate(svc, 'Rita Rater');
    await act(ann, o, 'handover.claim');
    await act(ann, o, 'handover.resolve');
    const survey = toCustomer(o).find((b) => b.attachments?.length);
    assert.ok(survey, 'a survey card reached the customer');
    const card = survey.attachments[0];
    assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(card.content.body[0].text, 'How did we do?');
    assert.deepEqual(card.content.actions.map((a: any) => [a.type, a.title, a.data]), [1, 2, 3, 4, 5].map((n) => ['Action.Submit', String(n), { msteams: { type: 'imBack', value: String(n) } }]));
    const goodbye = toCustomer(o).findIndex((b) => /Ann ended the chat/.test(b.text));
    assert.ok(goodbye >= 0 && goodbye < toCustomer(o).indexOf(survey), 'the goodbye comes first');

    // The click arrives as the customer's own message "4": stored, thanked for, handed back with the rating.
    const answer = await customerSays(o, '4');
    const end = answer.body.activities.at(-1);
    assert.equal(end.type, 'endOfConversation');
    assert.equal(end.value.Rating, '4');
    assert.equal(end.value.Reason, 'closed:agent');
    assert.deepEqual((await svc.handover.get(o.id))?.survey?.score, 4);
    assert.equal(toCustomer(o).at(-1).text, 'Thank you for your rating (4 / 5).');
    const cardUpdate = stub.calls.filter((c) => c.kind === 'update' && c.conversationId === o.threadId).at(-1);
    assert.match(JSON.stringify(cardUpdate?.body), /"title":"Customer rating","value":"Rated 4 \/ 5"/);

    // A second rating (a second click) counts once: handed back, nothing stored or thanked again.
    const thanks = toCustomer(o).length;
    const again = await customerSays(o, '5');
    assert.equal(again.body.activities.at(-1).type, 'endOfConversation');
    assert.equal(again.body.activities.at(-1).value.Rating, '4');
    assert.equal((await svc.handover.get(o.id))?.survey?.score, 4);
    assert.equal(toCustomer(o).length, thanks);

    // The lead's board shows the queue's average of the last 7 days.
    const boardThread = `${CHANNEL_ID};messageid=88`;
    await svc.post('/api/console/messages', {
      ...teams.reply(ann, boardThread, '<at>Console</at> board', teamsUrl),
      entities: [{ type: 'mention', text: '<at>Console</at>', mentioned: { id: '28:console-bot', name: 'Console' } }],
      channelData: { team: { id: TEAM_ID }, channel: { id: CHANNEL_ID }, tenant: { id: AGENT_TENANT } },
    });
    const board = JSON.stringify(stub.calls.filter((c) => c.kind === 'send' && c.conversationId === boardThread).at(-1)?.body);
    assert.match(board, /Rated \d\.\d \/ 5 on average \(\d+ ratings?, last 7 days\)/);
  });

  it('a retried sendMessage of a line relayed before the resolve is not taken as the survey answer', async () => {
    const ann = member('Ann');
    const o = await escalate();
    await act(ann, o, 'handover.claim');
    const line = skill.message(o.customer, '2', { ...expectReplies, id: 'customer-line-2' });
    await svc.post('/api/messages', line);
    await svc.relay.idle();
    await act(ann, o, 'handover.resolve');
    // Copilot Studio timed out on the first request and sends it again, after the agent resolved.
    const retried = await svc.post('/api/messages', line);
    await svc.relay.idle();
    assert.ok(!(retried.body?.activities ?? []).some((a: any) => a.type === 'endOfConversation'), 'answered as the first: nothing');
    assert.equal((await svc.handover.get(o.id))?.survey?.answeredAt, undefined);
    const answer = await customerSays(o, '4');
    assert.equal(answer.body.activities.at(-1).value.Rating, '4');
  });

  it('an answer that is not a rating hands the customer back without one, and closes the survey', async () => {
    const ann = member('Ann');
    const o = await escalate();
    await act(ann, o, 'handover.claim');
    await act(ann, o, 'handover.resolve');
    const answer = await customerSays(o, 'what about my refund?');
    const end = answer.body.activities.at(-1);
    assert.deepEqual([end.type, end.value.Rating, end.value.Reason], ['endOfConversation', '', 'closed:agent']);
    const e = await svc.handover.get(o.id);
    assert.ok(e?.survey?.answeredAt);
    assert.equal(e?.survey?.score, undefined);
    const cardUpdate = stub.calls.filter((c) => c.kind === 'update' && c.conversationId === o.threadId && c.status < 300).at(-1);
    assert.match(JSON.stringify(cardUpdate?.body), /No rating given/, 'the card says so');
    await customerSays(o, '5');
    assert.equal((await svc.handover.get(o.id))?.survey?.score, undefined, 'only the first message after the survey answers it');
    assert.ok(!toCustomer(o).some((b) => /Thank you for your rating/.test(b.text)));
  });

  it('with TRANSCRIPT_ON_CLOSE=false and SURVEY_ON_RESOLVE=false, neither is sent', async () => {
    const off = await startService(stub, { TRANSCRIPT_ON_CLOSE: 'false', SURVEY_ON_RESOLVE: 'false' });
    try {
      const ann = member('Ann');
      const o = await escalate(off);
      await act(ann, o, 'handover.claim', off);
      await agentSays(ann, o, 'done', off);
      await act(ann, o, 'handover.resolve', off);
      assert.deepEqual(transcriptParts(o), []);
      assert.ok(!toCustomer(o).some((b) => b.attachments?.length), 'no survey card');
      assert.ok(toCustomer(o).some((b) => /Ann ended the chat/.test(b.text)));
      const answer = await customerSays(o, '5', off);
      assert.equal(answer.body.activities.at(-1).value.Rating, '');
      assert.equal((await off.handover.get(o.id))?.survey, undefined);
    } finally {
      await off.close();
    }
  });
});
