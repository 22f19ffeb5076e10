import { strict as assert } from 'node:assert';
import * as rules from '../../src/core/escalation';
import { TransitionError } from '../../src/core/escalation';
import { ConcurrencyError } from '../../src/core/errors';
import { forceClose, transfer } from '../../src/core/transfer';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { sampleCustomer, sampleEscalation, wire } from '../helpers/fixtures';

const ann = { id: 'ann', name: 'Ann' };
const bob = { id: 'bob', name: 'Bob' };
const carl = { id: 'carl', name: 'Carl' };
const sue = { id: 'sue', name: 'Sue' };
const now = '2026-12-07T09:00:00.000Z';
const claimed = () => rules.claim(sampleEscalation({ deskRef: { desk: 'd', threadId: 't1', address: {} } }), ann, now).escalation;

describe('transfer (rules and races)', () => {
  it('to a colleague: owner at once; to a queue: queued there, the old thread kept as a previous desk', () => {
    const toBob = transfer(claimed(), ann, { kind: 'agent', agent: bob }, now);
    assert.deepEqual([toBob.escalation.status, toBob.escalation.owner?.id], ['claimed', 'bob']);
    const toBilling = transfer(claimed(), ann, { kind: 'queue', queue: 'billing' }, now);
    const e = toBilling.escalation;
    assert.deepEqual([e.status, e.queue, e.owner, e.deskRef, e.previousDesks?.[0].threadId, e.transferredFrom], ['queued', 'billing', undefined, undefined, 't1', 'default']);
    assert.equal(toBilling.events[0].type, 'transferredToQueue');
  });

  it('only the owner transfers (a supervisor reassigns), and never to where it already is', () => {
    assert.throws(() => transfer(claimed(), carl, { kind: 'agent', agent: bob }, now), (err: unknown) => err instanceof TransitionError && err.code === 'not_owner');
    assert.equal(transfer(claimed(), carl, { kind: 'agent', agent: bob }, now, true).escalation.owner?.id, 'bob');
    assert.throws(() => transfer(claimed(), ann, { kind: 'queue', queue: 'default' }, now), (err: unknown) => err instanceof TransitionError && err.code === 'same_place');
    assert.deepEqual(forceClose(claimed(), carl, now).escalation.closedReason, 'supervisor');
  });

  it('a claim decided on the queue as it was read does not land after a transfer moved the chat to another queue', async () => {
    const store = createMemoryStore();
    const { handover, relay } = wire(store, { queues: ['billing'] });
    const { escalation } = await handover.start({ customer: sampleCustomer(), problem: 'p', context: {} });
    await handover.claim(escalation.id, ann);
    // Carl's click was checked against the default queue's team; meanwhile Ann moves the chat to billing.
    await handover.transfer(escalation.id, ann, { kind: 'queue', queue: 'billing' });
    await assert.rejects(handover.claim(escalation.id, carl, 'default'), (err: unknown) => err instanceof TransitionError && err.code === 'moved');
    assert.equal((await handover.get(escalation.id))?.owner, undefined);
    // Concurrent: a supervisor moves a queued chat to billing while Carl claims it from the default queue. Both read
    // the queued chat; the one that writes second finds it changed and is decided again on what it finds.
    const second = await handover.start({ customer: sampleCustomer('chat-2'), problem: 'p', context: {} });
    await relay.idle(); // its card is placed: no other writer now
    const replace = store.escalations.replace.bind(store.escalations);
    let lostRaces = 0;
    store.escalations.replace = async (e, etag) => replace(e, etag).catch((err: unknown) => {
      if (err instanceof ConcurrencyError) lostRaces++;
      throw err;
    });
    const results = await Promise.allSettled([handover.transfer(second.escalation.id, sue, { kind: 'queue', queue: 'billing' }, true), handover.claim(second.escalation.id, carl, 'default')]);
    assert.ok(lostRaces >= 1, 'the claim was decided on the chat as it was before the move, and its write lost');
    assert.equal(results[0].status, 'fulfilled');
    assert.ok(results[1].status === 'rejected' && results[1].reason instanceof TransitionError && results[1].reason.code === 'moved', 'decided again: the chat moved');
    const after = (await handover.get(second.escalation.id))!;
    assert.deepEqual([after.queue, after.owner, after.status], ['billing', undefined, 'queued']);
    await relay.idle();
  });
});
