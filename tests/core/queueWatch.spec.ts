import { strict as assert } from 'node:assert';
import { Handover } from '../../src/core/handover';
import { QueueWatch } from '../../src/core/queueWatch';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { recordingCustomer, recordingDesk, sampleCustomer, sampleEscalation, silent, testRelay } from '../helpers/fixtures';

describe('where a customer stands in the queue', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

  it('a released chat keeps its place by when it came; a new one comes after everyone waiting', async () => {
    const store = createMemoryStore();
    const first = sampleEscalation({ id: 'first', status: 'claimed', createdAt: at(-30) });
    await store.escalations.create(first); // claimed now, about to be released
    for (const [id, minutes] of [['second', -20], ['third', -10]] as const) await store.escalations.create(sampleEscalation({ id, status: 'queued', createdAt: at(minutes) }));
    const watch = new QueueWatch(store.escalations, () => now, { minSamples: 3 });
    assert.deepEqual(await watch.standing('default', first), { position: 1 }, 'back at the front, not number 3');
    assert.deepEqual(await watch.standing('default', { id: 'new', createdAt: now.toISOString() }), { position: 3 });
  });

  it('chats created in the same millisecond stand where the position updates rank them (by id), not all at one number', async () => {
    const store = createMemoryStore();
    for (const id of ['b', 'a', 'c']) await store.escalations.create(sampleEscalation({ id, status: 'queued', createdAt: at(-5) }));
    const watch = new QueueWatch(store.escalations, () => now, { minSamples: 3 });
    const ranked = await watch.positions('default');
    for (const id of ['a', 'b', 'c']) assert.deepEqual(await watch.standing('default', { id, createdAt: at(-5) }), { position: ranked.get(id) }, id);
    assert.deepEqual([...ranked], [['a', 1], ['b', 2], ['c', 3]]);
    // One about to be queued in that millisecond takes the place its id gives it there.
    assert.deepEqual(await watch.standing('default', { id: 'bb', createdAt: at(-5) }), { position: 3 });
  });

  it('a wait is promised only from enough claims and when it is a minute or more', async () => {
    const claimed = (id: string, waited: number) => sampleEscalation({ id, status: 'claimed', claimedAt: at(-60), claimWaitSeconds: waited });
    const estimateFrom = async (waits: number[]) => {
      const store = createMemoryStore();
      for (const [i, w] of waits.entries()) await store.escalations.create(claimed(`c${i}`, w));
      return new QueueWatch(store.escalations, () => now, { minSamples: 3 }).estimate('default');
    };
    assert.equal(await estimateFrom([30, 45, 50]), undefined, 'under a minute: nothing promised');
    assert.equal(await estimateFrom([120, 240]), undefined, 'too few claims');
    assert.equal(await estimateFrom([60, 100, 500]), 100, 'the median');
  });

  it('released through the handover: the customer hears they are next, not at the back', async () => {
    const store = createMemoryStore();
    let t = now.getTime();
    const clock = () => new Date(t);
    const customer = recordingCustomer();
    const relay = testRelay(store, { customer, desk: recordingDesk() });
    const ids = ['one', 'two', 'three'];
    const handover = new Handover({ store, outbox: relay, log: silent, deskFor: () => 'test-desk', queueRules: [], clock, newId: () => ids.shift()!, queues: new QueueWatch(store.escalations, clock, { minSamples: 3 }) });
    relay.attach(handover.ledger);
    for (const chat of ['c1', 'c2', 'c3']) {
      await handover.start({ customer: sampleCustomer(chat), problem: 'help', context: {} });
      t += 60_000;
    }
    const ann = { id: '29:ann', name: 'Ann' };
    await handover.claim('one', ann);
    await handover.release('one', ann);
    await relay.idle();
    const told = (await store.transcripts.list('one')).filter((l) => l.direction === 'toCustomer' && /handed your chat back/.test(l.text));
    assert.equal(told.length, 1);
    assert.match(told[0].text, /next in line/i, told[0].text);
  });
});
