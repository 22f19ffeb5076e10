import { strict as assert } from 'node:assert';
import * as rules from '../../src/core/escalation';
import type { Escalation } from '../../src/core/escalation';

const now = '2026-11-25T10:00:00.000Z';
const ann = { id: 'ann', name: 'Ann' };
const bob = { id: 'bob', name: 'Bob' };

function queued(): Escalation {
  return {
    id: 'e',
    status: 'queued',
    customer: { conversationId: 'c', userId: 'u', channelId: 'msteams', serviceUrl: 's', botId: 'b' },
    problem: '',
    context: {},
    createdAt: now,
    updatedAt: now,
  };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof rules.TransitionError);
    return err.code;
  }
  assert.fail('expected a TransitionError');
};

describe('escalation state machine', () => {
  it('queued → claimed → queued → claimed → closed by the agent', () => {
    const claimed = rules.claim(queued(), ann, now);
    assert.equal(claimed.status, 'claimed');
    assert.equal(claimed.owner?.id, 'ann');
    const released = rules.release(claimed, ann, now);
    assert.equal(released.status, 'queued');
    assert.equal(released.owner, undefined);
    const resolved = rules.resolve(rules.claim(released, bob, now), bob, now);
    assert.equal(resolved.status, 'closed');
    assert.equal(resolved.closedReason, 'agent');
    assert.equal(resolved.closedBy?.id, 'bob');
  });

  it('claiming what you own is a no-op; what another owns is already_claimed', () => {
    const claimed = rules.claim(queued(), ann, now);
    assert.equal(rules.claim(claimed, ann, now), claimed);
    assert.equal(code(() => rules.claim(claimed, bob, now)), 'already_claimed');
  });

  it('only the owner releases or resolves', () => {
    const claimed = rules.claim(queued(), ann, now);
    assert.equal(code(() => rules.release(claimed, bob, now)), 'not_owner');
    assert.equal(code(() => rules.resolve(claimed, bob, now)), 'not_owner');
    assert.equal(code(() => rules.resolve(queued(), ann, now)), 'not_claimed');
  });

  it('nothing changes a closed escalation', () => {
    const left = rules.customerLeft(queued(), now);
    assert.equal(left.closedReason, 'customer');
    assert.equal(code(() => rules.claim(left, ann, now)), 'closed');
    assert.equal(code(() => rules.customerLeft(left, now)), 'closed');
    assert.equal(code(() => rules.abandon(left, now)), 'closed');
    assert.equal(rules.abandon(queued(), now).closedReason, 'abandoned');
  });

  it('transitions never mutate their input', () => {
    const e = queued();
    const copy = JSON.parse(JSON.stringify(e));
    rules.claim(e, ann, now);
    assert.deepEqual(e, copy);
  });
});
