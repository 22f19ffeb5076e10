import { strict as assert } from 'node:assert';
import * as rules from '../../src/core/escalation';
import { sampleEscalation, T0 as now } from '../helpers/fixtures';

const ann = { id: 'ann', name: 'Ann' };
const bob = { id: 'bob', name: 'Bob' };
const queued = () => sampleEscalation();

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof rules.TransitionError);
    return err.code;
  }
  assert.fail('expected a TransitionError');
};

describe('escalation rules', () => {
  it('queued → claimed → queued → claimed → closed by the agent, each change with its event and a new revision', () => {
    const claimed = rules.claim(queued(), ann, now);
    assert.deepEqual([claimed.escalation.status, claimed.escalation.owner?.id, claimed.escalation.rev], ['claimed', 'ann', 2]);
    assert.deepEqual(claimed.events, [{ type: 'claimed', agent: ann }]);
    const released = rules.release(claimed.escalation, ann, now);
    assert.deepEqual([released.escalation.status, released.escalation.owner, released.events[0].type], ['queued', undefined, 'released']);
    const resolved = rules.resolve(rules.claim(released.escalation, bob, now).escalation, bob, now);
    assert.deepEqual([resolved.escalation.status, resolved.escalation.closedReason, resolved.escalation.closedBy?.id, resolved.escalation.rev], ['closed', 'agent', 'bob', 5]);
    assert.deepEqual(resolved.events, [{ type: 'resolved', agent: bob }]);
  });

  it('start: a queued escalation at revision 1 and a started event', () => {
    const d = rules.start({ id: 'x', customer: queued().customer, desk: 'd', queue: 'default', problem: 'p', context: {} }, now);
    assert.deepEqual([d.escalation.status, d.escalation.rev, d.escalation.desk, d.events], ['queued', 1, 'd', [{ type: 'started' }]]);
  });

  it('claiming what you own, resolving what you resolved, leaving a closed chat: no change and no event', () => {
    const claimed = rules.claim(queued(), ann, now).escalation;
    assert.deepEqual(rules.claim(claimed, ann, now), { escalation: claimed, events: [] });
    const resolved = rules.resolve(claimed, ann, now).escalation;
    assert.deepEqual(rules.resolve(resolved, ann, now).events, []);
    assert.deepEqual(rules.customerLeft(resolved, now).events, []);
    assert.equal(code(() => rules.claim(claimed, bob, now)), 'already_claimed');
  });

  it('only the owner releases or resolves', () => {
    const claimed = rules.claim(queued(), ann, now).escalation;
    assert.equal(code(() => rules.release(claimed, bob, now)), 'not_owner');
    assert.equal(code(() => rules.resolve(claimed, bob, now)), 'not_owner');
    assert.equal(code(() => rules.resolve(queued(), ann, now)), 'not_claimed');
    assert.equal(code(() => rules.release(queued(), ann, now)), 'not_claimed');
  });

  it('nothing changes a closed escalation', () => {
    const left = rules.customerLeft(queued(), now).escalation;
    assert.equal(left.closedReason, 'customer');
    assert.equal(code(() => rules.claim(left, ann, now)), 'closed');
    assert.equal(code(() => rules.abandon(left, now)), 'closed');
    assert.equal(code(() => rules.resolve(left, ann, now)), 'closed');
    assert.equal(rules.abandon(queued(), now).escalation.closedReason, 'abandoned');
  });

  it('a desk place is recorded once; a problem is added only when there was none', () => {
    const ref = { desk: 'd', threadId: 't1', address: {} };
    const placed = rules.placeOnDesk(queued(), ref, now).escalation;
    assert.deepEqual(rules.placeOnDesk(placed, { ...ref, threadId: 't2' }, now).events, []);
    assert.equal(placed.deskRef?.threadId, 't1');
    assert.deepEqual(rules.addProblem(sampleEscalation({ problem: 'first' }), 'second', now).events, []);
    assert.equal(rules.addProblem(queued(), 'given', now).escalation.problem, 'given');
  });

  it('rules never mutate their input', () => {
    const e = queued();
    const copy = JSON.parse(JSON.stringify(e));
    rules.claim(e, ann, now);
    rules.customerLeft(e, now);
    assert.deepEqual(e, copy);
  });

  describe('the satisfaction survey', () => {
    const resolved = (survey: boolean) => rules.resolve(rules.claim(queued(), ann, now).escalation, ann, now, { survey }).escalation;

    it('is asked only when the resolve says so', () => {
      assert.equal(resolved(false).survey, undefined);
      assert.deepEqual(resolved(true).survey, { askedAt: now });
    });

    it('a rating is one digit 1–5, nothing else', () => {
      assert.deepEqual(['1', ' 5 ', '3\n'].map(rules.ratingOf), [1, 5, 3]);
      assert.deepEqual(['0', '6', '45', '4.5', 'four', '4 stars', ''].map(rules.ratingOf), Array(7).fill(undefined));
    });

    it('the first answer counts: a rating is kept, a second one changes nothing; anything else ends it unrated', () => {
      const rated = rules.answerSurvey(resolved(true), '4', now);
      assert.deepEqual(rated.events, [{ type: 'rated', score: 4 }]);
      assert.equal(rated.escalation.survey?.score, 4);
      assert.deepEqual(rules.answerSurvey(rated.escalation, '1', now).events, []);
      const declined = rules.answerSurvey(resolved(true), 'thanks', now);
      assert.deepEqual(declined.events, [{ type: 'surveyDeclined' }]);
      assert.deepEqual(rules.answerSurvey(declined.escalation, '5', now).events, []);
      assert.deepEqual(rules.answerSurvey(resolved(false), '5', now).events, [], 'no survey, no rating');
    });
  });
});
