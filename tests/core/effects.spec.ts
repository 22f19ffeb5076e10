import { strict as assert } from 'node:assert';
import { effectsOf } from '../../src/core/effects';
import type { EventRecord } from '../../src/core/escalation';
import type { EscalationEvent } from '../../src/core/events';
import { sampleEscalation } from '../helpers/fixtures';

const e = sampleEscalation();
const ann = { id: 'ann', name: 'Ann' };
const record = (ev: EscalationEvent, rev = 2): EventRecord => ({ ...ev, id: `e|${rev}|${ev.type}`, rev, at: e.createdAt }) as EventRecord;
const shape = (ev: EventRecord) => effectsOf(ev, e, new Date()).map((i) => `${i.kind}:${i.direction}`);

describe('effects: events → outbox items', () => {
  it('each event causes its notices and card change', () => {
    assert.deepEqual(shape(record({ type: 'started' }, 1)), ['card:toDesk', 'notice:toCustomer']);
    assert.deepEqual(shape(record({ type: 'claimed', agent: ann })), ['notice:toCustomer', 'card:toDesk']);
    assert.deepEqual(shape(record({ type: 'released', agent: ann })), ['notice:toCustomer', 'card:toDesk']);
    // A close ends with the transcript task (a desk item of its own, after the card change).
    assert.deepEqual(shape(record({ type: 'resolved', agent: ann })), ['notice:toCustomer', 'card:toDesk', 'card:toDesk']);
    assert.deepEqual(shape(record({ type: 'resolved', agent: ann, survey: true })), ['notice:toCustomer', 'notice:toCustomer', 'card:toDesk', 'card:toDesk']);
    assert.deepEqual(shape(record({ type: 'customerLeft' })), ['notice:toDesk', 'card:toDesk', 'card:toDesk']);
    assert.deepEqual(effectsOf(record({ type: 'customerLeft' }), e, new Date(), { transcriptOnClose: false }).length, 2);
    assert.deepEqual(shape(record({ type: 'rated', score: 4 })), ['notice:toCustomer', 'card:toDesk']);
    assert.deepEqual(shape(record({ type: 'surveyDeclined' })), ['card:toDesk'], 'the closed card says no rating was given');
    assert.deepEqual(shape(record({ type: 'placedOnDesk' })), []);
  });

  it('a reminder settled after the chat moved on is not posted (an "unclaimed" alert after the claim); its card change is', () => {
    const claimed = sampleEscalation({ status: 'claimed', owner: ann });
    const overdue = record({ type: 'claimOverdue', waitedSeconds: 300, level: 'notify', mentions: [] } as never);
    const kinds = (ev: EventRecord, on: typeof e) => effectsOf(ev, on, new Date()).map((i) => `${i.kind}:${i.direction}`);
    assert.deepEqual(kinds(overdue, e), ['notice:toDesk', 'card:toDesk'], 'still queued: the alert');
    assert.deepEqual(kinds(overdue, claimed), ['card:toDesk']);
    assert.deepEqual(kinds(record({ type: 'queuePositionChanged', position: 2 } as never), claimed), []);
    const replyOverdue = record({ type: 'replyOverdue', waitedSeconds: 300, owner: ann } as never);
    assert.deepEqual(kinds(replyOverdue, claimed), ['notice:toDesk']);
    assert.deepEqual(kinds(replyOverdue, sampleEscalation({ status: 'claimed', owner: { id: 'bob', name: 'Bob' } })), [], 'another owner now');
    assert.deepEqual(kinds(record({ type: 'checkedIn', closeInSeconds: 300 } as never), sampleEscalation({ status: 'closed' })), []);
  });

  it('item ids derive from the event: the same event gives the same ids, another event other ids', () => {
    const ids = (ev: EventRecord) => effectsOf(ev, e, new Date()).map((i) => i.id);
    const claimed = record({ type: 'claimed', agent: ann });
    assert.deepEqual(ids(claimed), ids({ ...claimed }));
    assert.equal(ids(claimed).filter((id) => ids(record({ type: 'claimed', agent: ann }, 4)).includes(id)).length, 0);
  });
});
