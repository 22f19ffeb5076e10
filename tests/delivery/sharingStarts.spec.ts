/**
 * Lines a process still sends under their own lease (accepted while it was alone) when sharing starts, or when a
 * process starts while another (alone, or dead) has such lines: later lines of the chat, wherever they are accepted,
 * wait for them.
 */
import { strict as assert } from 'node:assert';
import pino from 'pino';
import { laneKey } from '../../src/delivery/laneDocs';
import type { CustomerChannel, LaneMemory } from '../../src/delivery/ports';
import type { Relay } from '../../src/delivery/relay';
import { LaneRateMemory } from '../../src/outbound/laneRateMemory';
import { TeamsRateLimiter } from '../../src/outbound/teamsRateLimiter';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { e, relayOn, toCustomer, until } from '../helpers/relays';

/**
 * A customer channel whose send of `held` waits until `release()`: a line a process is still sending. With a limiter,
 * each send calls through it, as the outbound edge does (the times Teams' windows count).
 */
function holdingCustomer(held?: string, limiter?: TeamsRateLimiter, heldParts = 1) {
  const sent: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let waiting = false;
  const channel: CustomerChannel = {
    async send(esc, m, fence) {
      if (m.text === held) {
        waiting = true;
        await gate;
      }
      await fence();
      if (limiter) await limiter.schedule(esc.customer.conversationId, 'tenant', async () => undefined);
      // A long line goes out as several calls (the edge splits it at Teams' size limit), each noted as sent.
      const parts = m.text === held ? heldParts : 1;
      for (let i = 1; i <= parts; i++) await m.progress?.sent(i, parts);
      sent.push(m.text);
    },
  };
  return { channel, sent, release, waiting: () => waiting };
}

describe('a lone process\'s lines in flight when sharing starts (order across processes)', () => {
  let skew = 0;
  const clock = { now: () => Date.now() + skew };
  const relays: Relay[] = [];
  const started = async (relay: Relay) => {
    relays.push(relay);
    await relay.start();
    return relay;
  };
  beforeEach(() => {
    skew = 0;
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  /**
   * b joins a store where another process is on record (shared: that one's lines may still be leased) and acknowledges
   * its first line without waiting to be seen (waiting would take b's grace, 10 s by this clock), then sends it.
   */
  const joinsAndAcknowledgesAtOnce = async (store: ReturnType<typeof createMemoryStore>, customer: ReturnType<typeof holdingCustomer>) => {
    const b = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, clock).relay);
    assert.equal(b.shared(), true);
    const line = firstLine(b);
    await until(line.acknowledged, 2_000);
    await sentAfterGrace(line, customer, 10_001);
  };

  /** Resolves once a joining process has read the heartbeat records twice more (it still waits, or it would not look). */
  const watchPolls = (store: ReturnType<typeof createMemoryStore>) => {
    let polls = 0;
    const list = store.instances.instances.bind(store.instances);
    store.instances.instances = async () => (polls++, list());
    return () => {
      const seen = polls;
      return until(() => polls >= seen + 2);
    };
  };

  /** A joining process's first line: whether it is acknowledged yet, and its send (once past the grace). */
  const firstLine = (relay: Relay) => {
    let acknowledged = false;
    const sent = relay.record(toCustomer('1'), e).then((r) => ((acknowledged = true), relay.dispatch(e, r)));
    return { acknowledged: () => acknowledged, sent };
  };

  /** The line stays unacknowledged while its process looks at the records again, until `beat` (a peer's) lists it. */
  const heldUntil = async (line: ReturnType<typeof firstLine>, twoMorePolls: () => Promise<void>, beat: () => Promise<void>, why: string) => {
    await twoMorePolls();
    assert.equal(line.acknowledged(), false, why);
    await beat();
    await until(line.acknowledged);
  };

  /** Moves the clock past the joining grace and waits for the line to reach the customer. */
  const sentAfterGrace = async (line: ReturnType<typeof firstLine>, customer: ReturnType<typeof holdingCustomer>, ms: number) => {
    skew += ms;
    await line.sent;
    assert.deepEqual(customer.sent, ['1']);
  };

  /** Counts the reads of one line's stored copy: the lane's holder reads it when it comes to its entry. */
  const countReads = (store: ReturnType<typeof createMemoryStore>, id: () => string) => {
    const get = store.transcripts.get.bind(store.transcripts);
    let reads = 0;
    store.transcripts.get = async (escalationId, itemId) => (itemId === id() && reads++, get(escalationId, itemId));
    return () => reads;
  };

  it('a line a process took in alone and still sends when it meets a peer is not overtaken by the peer\'s next line', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer('1');
    // a sweeps (and so sees b) only when the test says; b waits out its joining grace until the test moves the clock.
    const a = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 60_000, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, clock).relay);
    assert.equal(b.shared(), true);
    const first = await a.record(toCustomer('1'), e); // a does not know of b yet: the line has its own lease
    const firstSent = a.dispatch(e, first);
    await until(customer.waiting);
    const reads = countReads(store, () => first.item.id);
    // b holds the lane and waits out its grace; it acknowledges line 2 once a has seen it, and by then a has listed
    // its line in flight in the lane, ahead of line 2
    const secondSent = b.record(toCustomer('2'), e).then((r) => b.dispatch(e, r));
    // What the lane lists when a's heartbeat record first says it saw b (b's acknowledgements wait for that record).
    let laneWhenSaid: string[] | undefined;
    const beat = store.instances.heartbeat.bind(store.instances);
    store.instances.heartbeat = async (id, ttl, at, note) => {
      if (id === 'a' && note?.sees?.includes('b')) laneWhenSaid ??= (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.queue.map((q) => q.id) ?? [];
      return beat(id, ttl, at, note);
    };
    await a.sweep(); // a sees b: its line in flight goes into the lane, before b's
    assert.equal(a.shared(), true);
    assert.equal(laneWhenSaid?.[0], first.item.id, 'listed before a says it saw b');
    skew += 10_001; // b's grace (two sweep intervals) is over; no lease has run out
    await until(() => customer.sent.length > 0 || reads() > 0); // b came to the lane's first entry (or sent line 2)
    customer.release();
    await Promise.all([firstSent, secondSent]);
    assert.deepEqual(customer.sent, ['1', '2']);
  });

  it('a process that starts while a lone process still sends a line lets that line go first', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer('1');
    const a = await started(relayOn(store, customer.channel, { leaseMs: 5_000, sweepIntervalMs: 60_000, instanceId: 'a' }, clock).relay);
    const first = await a.record(toCustomer('1'), e);
    const firstSent = a.dispatch(e, first);
    await until(customer.waiting);
    // b's rate memory, as the real one: it counts the sends it hears of and hands them on with the lane.
    const heard: number[] = [];
    const memory: LaneMemory = { export: () => ({ sent: [...heard] }), import: () => undefined, sentElsewhere: (_e, _d, at) => void heard.push(at), instances: () => undefined };
    const b = await started(relayOn(store, customer.channel, { leaseMs: 5_000, sweepIntervalMs: 50, instanceId: 'b' }, { ...clock, memory }).relay);
    skew += 200; // past b's joining grace
    const reads = countReads(store, () => first.item.id);
    const secondSent = b.dispatch(e, await b.record(toCustomer('2'), e));
    await until(() => customer.sent.length > 0 || reads() > 0);
    customer.release();
    await Promise.all([firstSent, secondSent]);
    assert.deepEqual(customer.sent, ['1', '2']);
    // a's send of line 1 (outside the lane) counts in the conversation's windows at b, and travels on with the lane.
    const deliveredAt = Date.parse((await store.transcripts.get('e', first.item.id))!.value.delivery.deliveredAt!);
    assert.deepEqual(heard, [deliveredAt]);
    assert.deepEqual((await store.lanes.get(laneKey('e', 'toCustomer')))?.value.memo, { sent: [deliveredAt] });
  });

  it('a line a joining process acknowledged is not overtaken by the chat\'s next line, taken in by a peer that has not seen it yet', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer();
    // a is alone and sweeps (and so sees b) only when the test says; b joins and waits out its grace.
    const a = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 60_000, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, clock).relay);
    assert.deepEqual([a.shared(), b.shared()], [false, true]);
    // The chat's next line is sent only once the first is acknowledged (Copilot Studio, Teams), and lands at a.
    let acknowledged = false;
    const firstAck = b.record(toCustomer('1'), e).then((r) => ((acknowledged = true), r));
    const firstSent = firstAck.then((r) => b.dispatch(e, r));
    const secondSent = firstAck.then(async () => a.dispatch(e, await a.record(toCustomer('2'), e)));
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer'))) !== undefined); // line 1 is in its lane
    assert.equal(acknowledged, false, 'held: a has not seen b');
    await a.sweep(); // a sees b, and says so at once
    await until(() => acknowledged);
    skew += 10_001; // b's grace is over
    await Promise.all([firstSent, secondSent]);
    assert.deepEqual(customer.sent, ['1', '2']);
  });

  it('a joining process whose peer is late with its heartbeat acknowledges at the end of its grace, and says so', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer();
    await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'a' }, clock).relay);
    const warned: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warned.push(JSON.parse(line).msg) });
    const b = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, { ...clock, log }).relay);
    const line = firstLine(b);
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer'))) !== undefined);
    assert.equal(line.acknowledged(), false);
    await sentAfterGrace(line, customer, 10_001); // a never beat again (its interval runs on the real clock)
    assert.ok(warned.some((m) => m.startsWith('acknowledging lines before these processes have seen this one')), JSON.stringify(warned));
  });

  it('a third process waits to be seen by both that already share, each in its own time', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer();
    const peer = (instanceId: string) => relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId }, clock).relay;
    const a = await started(peer('a'));
    const b = await started(peer('b'));
    await a.sweep(); // a and b see each other
    const twoMorePolls = watchPolls(store);
    const c = await started(peer('c'));
    const line = firstLine(c);
    await a.sweep(); // a sees c; b has not beaten since
    await heldUntil(line, twoMorePolls, () => b.sweep(), 'b has not seen c yet');
    await sentAfterGrace(line, customer, 10_001);
  });

  it('a joining process waits for a peer that was beating, however late its next beat', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer();
    const a = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'a' }, clock).relay);
    const twoMorePolls = watchPolls(store);
    const b = await started(relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, clock).relay);
    const line = firstLine(b);
    skew += 8_000; // a's record is now older than one and a half intervals (its beat is slow), b's grace runs 2 s more
    await heldUntil(line, twoMorePolls, () => a.sweep(), 'still waiting for a'); // until a's late beat
    await sentAfterGrace(line, customer, 2_001);
  });

  it('a process that starts right after another stopped acknowledges at once: the stopped one said it is gone', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer();
    const a = relayOn(store, customer.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'a' }, clock).relay;
    await a.start();
    await a.stop();
    await joinsAndAcknowledgesAtOnce(store, customer); // without a's last record: held for b's grace
  });

  it('a process that stopped still shares the tenant\'s budget until its record runs out (its calls still count)', async () => {
    const store = createMemoryStore();
    const counts: number[] = [];
    const memory: LaneMemory = { export: () => undefined, import: () => undefined, instances: (n) => void counts.push(n) };
    const a = relayOn(store, holdingCustomer().channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'a' }, clock).relay;
    await a.start();
    await a.stop();
    const b = await started(relayOn(store, holdingCustomer().channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, { ...clock, memory }).relay);
    assert.equal(counts.at(-1), 2, 'a counts: its record runs 15 s more');
    skew += 15_001;
    await b.sweep();
    assert.equal(counts.at(-1), 1, 'its record ran out');
  });

  it('a process that starts after another crashed does not wait to be seen by it: its record says it stopped beating', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer();
    // The crashed process beat last 8 s ago (its interval is 5 s): its record runs 7 s more.
    await store.instances.heartbeat('crashed', 15_000, clock.now() - 8_000);
    await joinsAndAcknowledgesAtOnce(store, customer);
  });

  it('a split line a lone process sent (three calls) counts three times in the Teams windows of the peer that skips it', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = holdingCustomer('long', undefined, 3);
    const a = await started(relayOn(store, customer.channel, { leaseMs: 5_000, sweepIntervalMs: 60_000, instanceId: 'a' }, clock).relay);
    const first = await a.record(toCustomer('long'), e);
    const firstSent = a.dispatch(e, first);
    await until(customer.waiting);
    const limiterB = new TeamsRateLimiter({ tenantRps: 50 });
    const b = await started(relayOn(store, customer.channel, { leaseMs: 5_000, sweepIntervalMs: 50, instanceId: 'b' }, { ...clock, memory: new LaneRateMemory(limiterB) }).relay);
    skew += 200; // past b's joining grace
    const secondSent = b.dispatch(e, await b.record(toCustomer('2'), e));
    customer.release();
    await Promise.all([firstSent, secondSent]);
    assert.deepEqual(customer.sent, ['long', '2']);
    const d = (await store.transcripts.get('e', first.item.id))!.value.delivery;
    assert.deepEqual([d.state, d.partsSent], ['delivered', 3]);
    assert.deepEqual(limiterB.history(e.customer.conversationId), [Date.parse(d.deliveredAt!), Date.parse(d.deliveredAt!), Date.parse(d.deliveredAt!)]);
    await limiterB.stop();
  });

  it('a peer that takes a chat\'s lane first counts the sends a lone process made there just before it met the peer', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const sentAt: number[] = [];
    const customer: CustomerChannel = { send: async (_e, _m, fence) => (await fence(), void sentAt.push(clock.now())) };
    // a's rate memory hands on the times its channel sent at, as the real one hands on its limiter's; b's records
    // what it is handed when it takes the lane.
    const aMemory: LaneMemory = { horizonMs: 30_000, export: () => (sentAt.length ? { sent: [...sentAt] } : undefined), import: () => undefined, instances: () => undefined };
    const imported: unknown[] = [];
    const bMemory: LaneMemory = { horizonMs: 30_000, export: () => undefined, import: (_e, _d, memo) => void imported.push(memo), instances: () => undefined };
    const a = await started(relayOn(store, customer, { leaseMs: 60_000, sweepIntervalMs: 60_000, instanceId: 'a' }, { ...clock, memory: aMemory }).relay);
    for (const text of ['1', '2', '3']) await a.dispatch(e, await a.record(toCustomer(text), e)); // alone: no lane document
    assert.equal(await store.lanes.get(laneKey('e', 'toCustomer')), undefined);
    const b = await started(relayOn(store, customer, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, { ...clock, memory: bMemory }).relay);
    const fourth = b.record(toCustomer('4'), e).then((r) => b.dispatch(e, r)); // b takes the lane and waits out its grace
    await a.sweep(); // a sees b: its recent sends in the chat go into the lane (in the background)
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.memo !== undefined);
    skew += 10_001; // b's grace is over
    await fourth;
    assert.equal(sentAt.length, 4);
    assert.deepEqual(imported, [{ sent: sentAt.slice(0, 3) }], 'b counts a\'s three sends before its own');
  });

  it('a lone process\'s hand-over that lands after the peer read the lane still counts there, and stays in its memo', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const limiterA = new TeamsRateLimiter({ tenantRps: 50 });
    const limiterB = new TeamsRateLimiter({ tenantRps: 50 });
    const customerB = holdingCustomer('4', limiterB);
    const a = await started(relayOn(store, holdingCustomer(undefined, limiterA).channel, { leaseMs: 60_000, sweepIntervalMs: 60_000, instanceId: 'a' }, { ...clock, memory: new LaneRateMemory(limiterA) }).relay);
    for (const text of ['1', '2', '3']) await a.dispatch(e, await a.record(toCustomer(text), e));
    const b = await started(relayOn(store, customerB.channel, { leaseMs: 60_000, sweepIntervalMs: 5_000, instanceId: 'b' }, { ...clock, memory: new LaneRateMemory(limiterB) }).relay);
    const fourth = b.record(toCustomer('4'), e).then((r) => b.dispatch(e, r));
    skew += 10_001; // b's grace is over: it reads the lane (no memo yet) and sends line 4, which waits
    await until(customerB.waiting);
    await a.sweep(); // only now does a see b: its hand-over lands while b is sending
    const lane = laneKey('e', 'toCustomer');
    await until(async () => (await store.lanes.get(lane))?.value.memo !== undefined);
    // b's own call at a millisecond none of a's took: the windows count calls by their times (as a multiset).
    await until(() => Date.now() > Math.max(...limiterA.history(e.customer.conversationId)));
    customerB.release();
    await fourth;
    const aSent = limiterA.history(e.customer.conversationId);
    assert.equal(aSent.length > 0, true);
    const bKnows = limiterB.history(e.customer.conversationId);
    // Each of a's three calls, even those made in one millisecond (its channel answers at once), and b's own.
    const ofA = (times: number[]) => times.filter((t) => aSent.includes(t));
    assert.deepEqual({ a: aSent.length, b: ofA(bKnows).length, total: bKnows.length }, { a: 3, b: 3, total: 4 }, `b counts a's sends: ${JSON.stringify({ aSent, bKnows })}`);
    const memo = (await store.lanes.get(lane))?.value.memo as { sent: number[] };
    assert.deepEqual(memo.sent, bKnows, 'the lane\'s memo keeps a\'s sends beside b\'s');
    limiterA.stop();
    limiterB.stop();
  });

  it('a process that starts alone after one died mid-send delivers the dead one\'s line first, once its lease ran out', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const sent: string[] = [];
    const customer: CustomerChannel = { send: async (_e, m, fence) => (await fence(), void sent.push(m.text)) };
    // A lone process accepted line 1, began sending it and died: its lease runs 300 ms more, its heartbeat is gone.
    const orphan = toCustomer('1');
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: clock.now() + 300 };
    await store.transcripts.append(orphan);
    const b = await started(relayOn(store, customer, { leaseMs: 5_000, sweepIntervalMs: 50, instanceId: 'b' }, clock).relay);
    assert.equal(b.shared(), false, 'alone: nobody else is on record');
    await b.dispatch(e, await b.record(toCustomer('2'), e));
    assert.deepEqual(sent, ['1', '2']);
    assert.equal((await store.transcripts.get('e', orphan.id))?.value.delivery.state, 'delivered');
  });
});
