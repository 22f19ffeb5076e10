/** A lone process's recent sends handed to the lanes when it meets a peer (src/delivery/aloneSends.ts). */
import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { AloneSends } from '../../src/delivery/aloneSends';
import { laneKey } from '../../src/delivery/laneDocs';
import { LaneRateMemory } from '../../src/outbound/laneRateMemory';
import { TeamsRateLimiter } from '../../src/outbound/teamsRateLimiter';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { sampleCustomer, sampleEscalation } from '../helpers/fixtures';

describe('AloneSends: the rate history a lone process hands to the lanes when sharing starts', () => {
  const e = sampleEscalation({ id: 'e', customer: sampleCustomer('chat-e') });
  const quiet = sampleEscalation({ id: 'quiet', customer: sampleCustomer('chat-quiet') });

  // The limiter reads Date.now: a fake one puts each call at a time of its own (calls in the same millisecond would
  // count once when handed over).
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-12-03T10:00:00Z'), toFake: ['Date'] });
  });
  afterEach(() => clock.restore());

  function setup(heartbeats = true) {
    const store = createMemoryStore();
    const limiter = new TeamsRateLimiter({ tenantRps: 50 });
    const memory = new LaneRateMemory(limiter);
    let now = Date.now();
    const warnings: string[] = [];
    const sends = new AloneSends({ lanes: store.lanes, escalations: store.escalations, memory, now: () => now, warn: (_o, msg) => void warnings.push(msg), heartbeats });
    // A call through the limiter, as the outbound edge makes it; the times it counted are what must travel.
    const send = async (conversation: string) => {
      await limiter.schedule(conversation, 'tenant', async () => undefined);
      clock.tick(150);
    };
    const counted = (conversation: string) => limiter.history(conversation);
    return { store, sends, send, counted, warnings, later: (ms: number) => (now += ms) };
  }

  it('writes the lane\'s recent sends into its memo, merged with what an earlier holder left, and nothing else', async () => {
    const { store, sends, send, counted, warnings } = setup();
    const earlier = Date.now() - 5_000; // a send an earlier holder made (the chat was shared once before)
    await store.lanes.put(laneKey('e', 'toCustomer'), { until: 0, queue: [], last: 4, memo: { sent: [earlier] } });
    await send('chat-e');
    await send('chat-e');
    const times = counted('chat-e');
    assert.equal(times.length, 2);
    sends.noted(e, 'toCustomer');
    await sends.handOver();
    const lane = (await store.lanes.get(laneKey('e', 'toCustomer')))!.value;
    assert.deepEqual(lane.memo, { sent: [earlier, ...times] });
    assert.equal(lane.holder, undefined, 'the lane is not taken');
    assert.equal(lane.last, 4, 'its numbering stays');
    assert.deepEqual(warnings, []);
  });

  it('creates the lane document of a chat that never had one; leaves alone lanes quiet longer than the horizon', async () => {
    const { store, sends, send, counted, later } = setup();
    await send('chat-quiet');
    sends.noted(quiet, 'toCustomer');
    later(30_001); // by the hand-over's clock, that lane's last send here is past the 30 s the windows count
    await send('chat-e');
    sends.noted(e, 'toCustomer');
    await sends.handOver();
    assert.deepEqual((await store.lanes.get(laneKey('e', 'toCustomer')))?.value, { until: 0, queue: [], memo: { sent: counted('chat-e') } });
    assert.equal(await store.lanes.get(laneKey('quiet', 'toCustomer')), undefined);
  });

  it('hands each lane over once, and a lane this process never sent in is not written', async () => {
    const { store, sends, send } = setup();
    await send('chat-e');
    sends.noted(e, 'toCustomer');
    await sends.handOver();
    const written = await store.lanes.get(laneKey('e', 'toCustomer'));
    await sends.handOver(); // sharing starts again later: only lanes sent in alone since are written
    assert.equal((await store.lanes.get(laneKey('e', 'toCustomer')))?.etag, written?.etag);
    assert.equal(await store.lanes.get(laneKey('e', 'toDesk')), undefined);
  });

  for (const existing of [false, true]) {
    it(`a lane ${existing ? 'changed' : 'created'} meanwhile by another process is written again on its newer version`, async () => {
      const { store, sends, send, counted } = setup();
      const key = laneKey('e', 'toCustomer');
      if (existing) await store.lanes.put(key, { until: 0, queue: [] }); // the write is then a replace of that version
      await send('chat-e');
      sends.noted(e, 'toCustomer');
      const put = store.lanes.put.bind(store.lanes);
      let raced = false;
      store.lanes.put = async (k, doc, etag) => {
        if (!raced) {
          raced = true; // the peer appends an entry between this process's read and its write
          const now = Date.now();
          await put(k, { until: now + 60_000, holder: 'b', queue: [{ id: 'x', seq: 1, at: now }], last: 1 }, (await store.lanes.get(k))?.etag);
        }
        return put(k, doc, etag);
      };
      await sends.handOver();
      const lane = (await store.lanes.get(key))!.value;
      assert.deepEqual({ holder: lane.holder, queue: lane.queue.map((q) => q.id), memo: lane.memo }, { holder: 'b', queue: ['x'], memo: { sent: counted('chat-e') } });
    });
  }

  it('writes no lane whose chat this process noted but knows no recent call in', async () => {
    const { store, sends } = setup();
    sends.noted(e, 'toCustomer'); // a send that failed before it reached the limiter
    await sends.handOver();
    assert.equal(await store.lanes.get(laneKey('e', 'toCustomer')), undefined);
  });

  it('notes nothing in a process without heartbeats (it never meets a peer)', async () => {
    const { store, sends, send } = setup(false);
    await send('chat-e');
    sends.noted(e, 'toCustomer');
    await sends.handOver();
    assert.equal(await store.lanes.get(laneKey('e', 'toCustomer')), undefined);
  });

  it('hands over a desk lane by the escalation\'s thread as stored now (the copy noted may predate the thread)', async () => {
    const { store, sends, send, counted } = setup();
    const announced = sampleEscalation({ id: 'new', deskRef: { desk: 'test-desk', threadId: 'thread-new', address: {} } });
    await store.escalations.create(announced);
    await send('thread-new'); // the card that created the thread, sent with the escalation as it was before
    sends.noted(sampleEscalation({ id: 'new' }), 'toDesk');
    await sends.handOver();
    assert.deepEqual((await store.lanes.get(laneKey('new', 'toDesk')))?.value.memo, { sent: counted('thread-new') });
  });
});
