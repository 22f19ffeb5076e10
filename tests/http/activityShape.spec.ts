import { strict as assert } from 'node:assert';
import { activityProblem, plainlyWellFormed, problemByZod, sdkActivityShape } from '../../src/http/activityShape';
import { newAgent, newCustomer, skill, teams } from '../helpers/activities';

describe('the inbound activity shape check', () => {
  const base = { type: 'message', conversation: { id: 'a:1' } };
  const teamsIds = { channelId: 'msteams', from: { id: 'u' }, recipient: { id: 'b' } };
  // Well-formed bodies skip zod (activityShape.ts): the answer must be zod's for every body, well formed or not.
  const bodies: unknown[] = [
    base,
    { ...base, serviceUrl: 'https://smba.trafficmanager.net/amer/' },
    { type: 'invoke', conversation: { id: '19:x@thread.tacv2', tenantId: 't' }, from: { id: 'u' }, value: { action: {} } },
    { ...base, ...teamsIds },
    { type: '', conversation: { id: 'a:1' } },
    { type: 1, conversation: { id: 'a:1' } },
    { conversation: { id: 'a:1' } },
    { type: 'message' },
    { ...base, conversation: null },
    { ...base, conversation: [] },
    { ...base, conversation: ['a:1'] },
    { ...base, conversation: 'a:1' },
    { ...base, conversation: { id: '' } },
    { ...base, conversation: { id: 7 } },
    { ...base, conversation: {} },
    { ...base, conversation: { id: 'a:1', isGroup: 'yes' } },
    { ...base, conversation: { id: 'a:1', tenantId: '' } },
    { ...base, serviceUrl: null },
    { ...base, serviceUrl: 42 },
    { ...base, serviceUrl: '' },
    { ...base, serviceUrl: undefined },
    { type: ['message'], conversation: { id: 'a:1' } },
    // What the SDK's turn code assumes (each of these was a 500 before the SDK's schema was asked here).
    { ...base, from: null },
    { ...base, from: 'x' },
    { ...base, from: { id: '' } },
    { ...base, from: { id: 'u', name: 5 } },
    { ...base, recipient: null },
    { ...base, text: 5 },
    { ...base, text: { a: 1 } },
    { ...base, text: '' },
    { ...base, attachments: 'abc' },
    { ...base, attachments: { length: 2 } },
    { ...base, attachments: [null, 5] },
    { ...base, attachments: [{}] },
    { ...base, attachments: [{ contentType: 'text/html', content: '<p>x</p>' }] },
    { ...base, attachments: [{ contentType: 'image/png', contentUrl: '' }] },
    { ...base, entities: 'x' },
    { ...base, entities: [{}] },
    { ...base, entities: [{ type: 'clientInfo', locale: 'en-US' }] },
    { ...base, deliveryMode: 5 },
    { ...base, deliveryMode: '' },
    { ...base, deliveryMode: 'expectReplies' },
    { ...base, locale: null },
    { ...base, timestamp: '' },
    { ...base, historyDisclosed: 'yes' },
    { ...base, membersAdded: [{ id: 'x' }] },
    { ...base, membersAdded: [null] },
    { ...base, suggestedActions: {} },
    { ...base, suggestedActions: { actions: [] } },
    { ...base, channelData: 'x', value: null, somethingElse: null },
  ];
  // What teams-ai reads of every turn (the console's route asks for it).
  const consoleBodies: unknown[] = [
    ...bodies,
    { ...base, ...teamsIds, channelId: undefined },
    { ...base, ...teamsIds, recipient: {} },
    { ...base, ...teamsIds, from: undefined },
    { ...base, ...teamsIds, from: { id: 'u', name: 5 } },
  ];

  it("gives zod's answer and reason for every body, on both routes", () => {
    for (const [needs, corpus] of [[{}, bodies], [{ teamsAiIds: true }, consoleBodies]] as const) {
      for (const body of corpus) {
        const expected = problemByZod(body as Record<string, unknown>, needs);
        assert.equal(activityProblem(body, needs), expected, JSON.stringify(body));
      }
    }
  });

  it('refuses with a reason what the SDK would fail on inside the turn', () => {
    assert.equal(activityProblem({ ...base, from: null }), 'activity.from: Expected object, received null');
    assert.equal(activityProblem({ ...base, text: 5 }), 'activity.text: Expected string, received number');
    assert.match(activityProblem({ ...base, attachments: [null] }) ?? '', /^activity\.attachments\.0: /);
    assert.equal(activityProblem({ ...base, ...teamsIds, from: undefined }, { teamsAiIds: true }), 'activity.from.id is required');
    assert.equal(activityProblem({ ...base, recipient: {} }, { teamsAiIds: true }), 'activity.channelId is required');
  });

  it('takes the fast path for what Copilot Studio and Teams send', () => {
    const agent = newAgent('A');
    const customer = newCustomer();
    const sent = [
      [skill.message(customer, 'hello', { value: { LiveChatConversationId: 'e' } }), {}],
      [skill.start(customer, { ProblemDescription: 'x' }, { deliveryMode: 'expectReplies' }), {}],
      [teams.reply(agent, '19:t@thread.tacv2;messageid=1', 'hi', 'https://smba.trafficmanager.net/amer/'), { teamsAiIds: true }],
      [teams.action(agent, '19:t@thread.tacv2;messageid=1', '1', 'handover.claim', { escalationId: 'e' }, 'https://smba.trafficmanager.net/amer/'), { teamsAiIds: true }],
    ] as const;
    for (const [body, needs] of sent) {
      const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
      assert.ok(sdkActivityShape.safeParse(plain).success, JSON.stringify(plain));
      assert.ok(plainlyWellFormed(plain, needs), JSON.stringify(plain));
    }
  });

  it('refuses what is not an object', () => {
    for (const body of [null, 'text', 3, [{ type: 'message' }]]) assert.equal(activityProblem(body), 'the body must be a JSON object (an activity)');
  });
});
