/** The timekeeper's sweep against lines that arrive while it decides (the in-memory store, the test's clock). */
import { strict as assert } from 'node:assert';
import { QueueWatch } from '../../src/core/queueWatch';
import { Timekeeper } from '../../src/core/timekeeper';
import { NO_TIMERS, type TimerPolicy } from '../../src/core/timers';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { sampleCustomer, silent, wire } from '../helpers/fixtures';

const policy: TimerPolicy = { ...NO_TIMERS, replySeconds: 300, checkInSeconds: 600, closeSeconds: 300 };
const ann = { id: 'agent-1', name: 'Ann' };

describe('Timekeeper', () => {
  it('a customer line that lands while the sweep decides on older line times keeps the chat open (no inactivity close)', async () => {
    const store = createMemoryStore();
    let now = Date.parse('2026-12-07T09:00:00Z');
    const clock = () => new Date(now);
    const { handover, relay } = wire(store, { now: () => now, timers: policy });
    const e = (await handover.start({ customer: sampleCustomer('chat-1'), problem: 'help', context: {} })).escalation;
    await handover.claim(e.id, ann);
    await handover.agentMessage((await handover.get(e.id))!, ann, 'How can I help?', { activityId: 'a1' });
    let racing = false;
    const lineFacts = store.transcripts.lineFacts.bind(store.transcripts);
    const timekeeper = new Timekeeper({
      escalations: store.escalations,
      // The sweep reads the line times; the customer writes right after, before its write of the timers' outcome.
      transcripts: {
        lineFacts: async (id) => {
          const facts = await lineFacts(id);
          if (racing) {
            racing = false;
            await handover.customerMessage({ conversationId: 'chat-1', escalationId: e.id, text: 'still here', activityId: 'c1' });
          }
          return facts;
        },
      },
      ledger: handover.ledger,
      queues: new QueueWatch(store.escalations, clock, { minSamples: 1 }),
      policy,
      clock,
      log: silent,
    });
    now += 600_000;
    await timekeeper.sweep(); // the check-in
    assert.ok((await handover.get(e.id))?.timers?.checkIn, 'checked in');
    now += 300_000;
    racing = true;
    await timekeeper.sweep(); // the close would be due: the customer wrote meanwhile
    await relay.idle();
    assert.equal(racing, false, 'the line arrived during the sweep');
    assert.equal((await handover.get(e.id))?.status, 'claimed');
  });
});
