import { strict as assert } from 'node:assert';
import { activityProblem, activityShape } from '../../src/http/activityShape';

describe('the inbound activity shape check', () => {
  // Well-formed bodies skip zod (activityShape.ts): the answer must be zod's for every body, well formed or not.
  const bodies: unknown[] = [
    { type: 'message', conversation: { id: 'a:1' } },
    { type: 'message', conversation: { id: 'a:1' }, serviceUrl: 'https://smba.trafficmanager.net/amer/' },
    { type: 'invoke', conversation: { id: '19:x@thread.tacv2', tenantId: 't' }, from: { id: 'u' }, value: { action: {} } },
    { type: '', conversation: { id: 'a:1' } },
    { type: 1, conversation: { id: 'a:1' } },
    { conversation: { id: 'a:1' } },
    { type: 'message' },
    { type: 'message', conversation: null },
    { type: 'message', conversation: [] },
    { type: 'message', conversation: ['a:1'] },
    { type: 'message', conversation: 'a:1' },
    { type: 'message', conversation: { id: '' } },
    { type: 'message', conversation: { id: 7 } },
    { type: 'message', conversation: {} },
    { type: 'message', conversation: { id: 'a:1' }, serviceUrl: null },
    { type: 'message', conversation: { id: 'a:1' }, serviceUrl: 42 },
    { type: 'message', conversation: { id: 'a:1' }, serviceUrl: undefined },
    { type: ['message'], conversation: { id: 'a:1' } },
  ];

  it("accepts exactly what the zod shape accepts, and gives zod's reason otherwise", () => {
    for (const body of bodies) {
      const zod = activityShape.safeParse(body);
      const problem = activityProblem(body);
      assert.equal(problem === undefined, zod.success, JSON.stringify(body));
      if (!zod.success) assert.equal(problem, zod.error.issues[0]?.message);
    }
  });

  it('refuses what is not an object', () => {
    for (const body of [null, 'text', 3, [{ type: 'message' }]]) assert.equal(activityProblem(body), 'the body must be a JSON object (an activity)');
  });
});
