import { strict as assert } from 'node:assert';
import { StoreUnavailableError } from '../../src/core/errors';
import { DeliveryError } from '../../src/delivery/deliveryError';
import { laneKey } from '../../src/delivery/laneDocs';
import type { LaneMemory } from '../../src/delivery/ports';
import type { Relay } from '../../src/delivery/relay';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { recordingCustomer, recordingDesk } from '../helpers/fixtures';
import { assertDeliveredInLane, e, relayOn, toCustomer, until } from '../helpers/relays';
import { newEntry } from '../../src/core/transcript';

const toDesk = (text: string) => newEntry({ escalationId: 'e', direction: 'toDesk', kind: 'customer', text, now: new Date() });

describe('several processes on one store (lanes under a lease)', () => {
  const shared = { leaseMs: 300, sweepIntervalMs: 50 };
  // One clock for every process of a test, running with real time (leases still run out while a send waits) but
  // moved ahead to pass the joining grace instead of sleeping through it.
  let skew = 0;
  const clock = { now: () => Date.now() + skew };
  beforeEach(() => {
    skew = 0;
  });
  // Like the rate memory: what a process exports holds what it imported (the lane's memo), and its own sends if any.
  const memoOf = (tag: string, sends = true): LaneMemory => {
    const known = new Set<string>();
    return {
      export: () => ({ sent: [...new Set([...known, ...(sends ? [tag] : [])])].sort() }),
      import: (_e, _d, memo) => (memo as { sent: string[] }).sent.forEach((t) => known.add(t)),
      instances: () => undefined,
    };
  };
  const relays: Relay[] = [];
  const started = async (relay: Relay) => {
    relays.push(relay);
    await relay.start();
    return relay;
  };
  const bothShared = (...rs: Relay[]) => until(() => rs.every((r) => r.shared()));
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  it('a Retry-After longer than the lane lease keeps the lane: the other process never sends the line too', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([new DeliveryError('throttled', { status: 429, retryAfterMs: 1000 })]);
    const a = await started(relayOn(store, customer, { ...shared, instanceId: 'a' }, { memory: memoOf('a'), ...clock }).relay);
    const b = await started(relayOn(store, customer, { ...shared, instanceId: 'b' }, { memory: memoOf('b'), ...clock }).relay);
    await bothShared(a, b);
    skew += 200; // past the joining grace
    await a.dispatch(e, await a.record(toCustomer('once'), e));
    await Promise.all([a.idle(), b.idle()]);
    await b.sweep();
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['once']);
    await assertDeliveredInLane(store, 'e', 'toCustomer');
  });

  it('a line queued by another process while the holder delivers is delivered by the holder, in order, before it gives the lane back', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([], 300);
    const a = await started(relayOn(store, customer, { ...shared, leaseMs: 60_000, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(store, customer, { ...shared, leaseMs: 60_000, instanceId: 'b' }, clock).relay);
    await bothShared(a, b);
    skew += 200; // past the joining grace
    const first = a.dispatch(e, await a.record(toCustomer('1'), e));
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.holder === 'a');
    await b.dispatch(e, await b.record(toCustomer('2'), e)); // b only queues its line: a holds the lane
    assert.deepEqual(customer.sent, []);
    await first;
    assert.deepEqual(customer.sent, ['1', '2']);
    const lane = await store.lanes.get(laneKey('e', 'toCustomer'));
    assert.deepEqual([lane?.value.holder, lane?.value.queue], [undefined, []], 'given back, nothing left');
  });

  it('a line accepted after the chat moved to another thread, while a holder serves with the old copy, goes to the new thread', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    // The desk records where each line went; the first post waits until the test lets it go.
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    const desk = Object.assign(recordingDesk(), { where: [] as string[] });
    desk.post = async (on, m, fence) => {
      if (desk.where.length === 0) await held;
      await fence();
      desk.where.push(`${on.deskRef?.threadId}: ${m.text}`);
    };
    const a = await started(relayOn(store, recordingCustomer(), { ...shared, leaseMs: 60_000, instanceId: 'a' }, { ...clock, desk }).relay);
    const b = await started(relayOn(store, recordingCustomer(), { ...shared, leaseMs: 60_000, instanceId: 'b' }, { ...clock, desk }).relay);
    await bothShared(a, b);
    skew += 200; // past the joining grace
    const first = a.dispatch(e, await a.record(toDesk('before the move'), e));
    await until(async () => (await store.lanes.get(laneKey('e', 'toDesk')))?.value.holder === 'a');
    // Meanwhile the chat moves (a transfer placed it in thread t2), and b takes the next line with the moved chat.
    const stored = (await store.escalations.get('e'))!;
    const moved = (await store.escalations.replace({ ...stored.value, rev: stored.value.rev + 1, deskRef: { desk: 'test-desk', threadId: 't2', address: {} } }, stored.etag)).value;
    await b.dispatch(moved, await b.record(toDesk('after the move'), moved));
    release();
    await first;
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(desk.where, ['t: before the move', 't2: after the move']);
  });

  it('a dead holder\'s queue is delivered by another process once the lines\' leases run out', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer();
    const orphan = toCustomer('left behind');
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: clock.now() - 1 };
    await store.transcripts.append(orphan);
    await store.lanes.put(laneKey('e', 'toCustomer'), { holder: 'dead', until: clock.now() - 1, queue: [{ id: orphan.id, seq: 1, at: clock.now() - 1 }] });
    await store.instances.heartbeat('dead', 60_000, clock.now());
    const a = await started(relayOn(store, customer, { ...shared, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(store, customer, { ...shared, instanceId: 'b' }, clock).relay);
    await until(() => customer.sent.length > 0);
    await Promise.all([a.sweep(), b.sweep()]);
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['left behind']);
  });

  it('alone again after a peer died holding a lane: a new line waits for the ones queued behind the dead holder', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer();
    const leaseMs = 10_000;
    // The dead peer's last heartbeat ran out 5 s ago: this process stays careful (shared) for 5 s more.
    await store.instances.heartbeat('dead', 0, clock.now() - 5_000);
    await store.lanes.put(laneKey('e', 'toCustomer'), { holder: 'dead', until: clock.now() + 3_000, queue: [] });
    const b = await started(relayOn(store, customer, { ...shared, leaseMs, instanceId: 'b' }, clock).relay);
    await until(() => b.shared());
    const first = await b.record(toCustomer('1'), e);
    await b.dispatch(e, first); // queued behind the dead holder's lease
    assert.deepEqual(customer.sent, []);
    skew += 6_000; // the dead holder's lane lease and the careful period are over; line 1's own lease is not
    await until(() => !b.shared());
    await b.dispatch(e, await b.record(toCustomer('2'), e));
    await b.idle();
    assert.deepEqual(customer.sent, ['1', '2']);
  });

  it('a second holder that finds nothing to send leaves the first holder\'s recent sends for the next', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer();
    const a = await started(relayOn(store, customer, { ...shared, instanceId: 'a' }, { memory: memoOf('a'), ...clock }).relay);
    const b = await started(relayOn(store, customer, { ...shared, instanceId: 'b' }, { memory: memoOf('b', false), ...clock }).relay);
    await bothShared(a, b);
    skew += 200; // past the joining grace
    const recorded = await a.record(toCustomer('hello'), e);
    await a.dispatch(e, recorded);
    assert.deepEqual(customer.sent, ['hello']);
    // b is handed a stale copy of the line (still pending in its memory): it takes the free lane, reads the line
    // afresh, finds it delivered and sends nothing.
    const holders: Array<string | undefined> = [];
    const put = store.lanes.put.bind(store.lanes);
    store.lanes.put = async (key, doc, etag) => (holders.push(doc.holder), put(key, doc, etag));
    const job = (await store.transcripts.get('e', recorded.item.id))!;
    await b.dispatch(e, { item: { ...job.value, delivery: { ...job.value.delivery, state: 'pending' } }, etag: job.etag, duplicate: false });
    assert.ok(holders.includes('b'), `b held the lane: ${JSON.stringify(holders)}`);
    const lane = await store.lanes.get(laneKey('e', 'toCustomer'));
    assert.deepEqual(lane?.value.memo, { sent: ['a'] });
    assert.deepEqual(customer.sent, ['hello']);
  });

  /** Holds the store write of the line with `text` until the returned function is called. */
  const holdWrite = (store: ReturnType<typeof createMemoryStore>, text: string): (() => void) => {
    const append = store.transcripts.append.bind(store.transcripts);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    store.transcripts.append = async (item) => (item.text === text ? held.then(() => append(item)) : append(item));
    return release;
  };

  /** Two processes on `store` that know of each other and are past their joining grace. */
  const pair = async (store: ReturnType<typeof createMemoryStore>, customer = recordingCustomer(), options: Record<string, unknown> = {}) => {
    await store.escalations.create(e);
    const a = await started(relayOn(store, customer, { ...shared, ...options, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(store, customer, { ...shared, ...options, instanceId: 'b' }, clock).relay);
    await bothShared(a, b);
    skew += 200;
    return { a, b, customer };
  };

  it('a process whose sweep hangs still says it is alive: its peer keeps sharing the lanes with it', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    let hang = false;
    let hung = false;
    let answer = () => undefined as void;
    const stuck = { ...store, escalations: { ...store.escalations, unsettled: async (before: string, limit: number) => {
      if (!hang) return store.escalations.unsettled(before, limit);
      hung = true;
      await new Promise<void>((r) => (answer = r)); // a store call that does not answer until the test ends
      return [];
    } } };
    const a = await started(relayOn(store, recordingCustomer(), { ...shared, instanceId: 'a' }, clock).relay);
    const b = relayOn(stuck as typeof store, recordingCustomer(), { ...shared, instanceId: 'b' }, clock).relay;
    await b.start();
    try {
      await bothShared(a, b);
      hang = true;
      await until(() => hung);
      const beat = async () => (await store.instances.instances()).find((i) => i.instance === 'b')?.until ?? 0;
      skew += 10_000; // far past b's last heartbeat and a lease: only a heartbeat written since then keeps b alive
      await until(async () => (await beat()) > clock.now());
      await a.sweep();
      assert.equal(a.shared(), true, 'b is seen alive while its sweep hangs');
    } finally {
      hang = false;
      answer();
      await b.stop();
    }
  });

  it('a line costs three writes (its lane entry, the line, the give-back) and one read of the lane, no query', async () => {
    const store = createMemoryStore();
    const { a } = await pair(store);
    const ops: string[] = [];
    const count = <T extends object>(name: string, target: T, methods: Array<keyof T>) => {
      for (const m of methods) {
        const original = (target[m] as (...args: unknown[]) => unknown).bind(target);
        (target as Record<keyof T, unknown>)[m] = (...args: unknown[]) => (ops.push(`${name}.${String(m)}`), original(...args));
      }
    };
    count('lanes', store.lanes, ['get', 'put', 'stalled']);
    count('transcripts', store.transcripts, ['append', 'replace', 'get', 'list', 'reclaimable']);
    count('escalations', store.escalations, ['get', 'replace']);
    await a.dispatch(e, await a.record(toCustomer('hello'), e));
    assert.deepEqual(a.shared(), true);
    assert.deepEqual(ops, ['lanes.get', 'lanes.put', 'transcripts.append', 'lanes.put']);
    await assertDeliveredInLane(store, 'e', 'toCustomer');
  });

  it('a request retried after its line was delivered leaves a stale entry that is skipped: the line is not sent twice', async () => {
    const store = createMemoryStore();
    const { a, b, customer } = await pair(store);
    const line = toCustomer('once');
    await a.dispatch(e, await a.record(structuredClone(line), e));
    const again = await b.record(structuredClone(line), e); // the channel retried it at the other process
    assert.equal(again.duplicate, true);
    await b.dispatch(e, again);
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['once']);
    assert.equal((await store.lanes.get(laneKey('e', 'toCustomer')))?.value.last, 2, 'the retry appended an entry of its own');
    await assertDeliveredInLane(store, 'e', 'toCustomer');
  });

  it('a holder waits for a line its acceptor is still storing: nothing behind it overtakes it', async () => {
    const store = createMemoryStore();
    // A lease far longer than the test: the entry is waited for, never dropped.
    const { a, b, customer } = await pair(store, recordingCustomer([], 150), { leaseMs: 60_000 });
    let reads = 0;
    const stored = holdWrite(store, '1');
    const get = store.transcripts.get.bind(store.transcripts);
    store.transcripts.get = async (escalationId, id) => (reads++, get(escalationId, id));
    const first = b.dispatch(e, await b.record(toCustomer('0'), e)); // b holds the lane while it sends '0'
    const late = a.record(toCustomer('1'), e); // a appends its entry, then its write of the line hangs
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.queue.length === 2);
    await until(() => customer.sent.length === 1 && reads >= 2); // b sent '0' and looked for '1' more than once
    const third = b.dispatch(e, await b.record(toCustomer('2'), e));
    const looked = reads;
    await until(() => reads >= looked + 2); // b looked for '1' twice more since '2' came
    assert.deepEqual(customer.sent, ['0'], 'nothing overtakes the line being stored');
    stored();
    await a.dispatch(e, await late);
    await Promise.all([first, third, a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['0', '1', '2']);
    await assertDeliveredInLane(store, 'e', 'toCustomer');
  });

  it('a line whose write failed after its entry was appended: the caller is refused, the entry dropped in time, the retry delivered once', async () => {
    const store = createMemoryStore();
    const { a, b, customer } = await pair(store);
    const append = store.transcripts.append.bind(store.transcripts);
    let failures = 1;
    store.transcripts.append = async (item) => {
      if (item.text === '1' && failures-- > 0) throw new StoreUnavailableError('store unavailable');
      return append(item);
    };
    const line = toCustomer('1');
    await assert.rejects(a.record(structuredClone(line), e), StoreUnavailableError); // the edge answers 503
    await b.dispatch(e, await b.record(toCustomer('2'), e)); // queued behind a's entry, which a still holds
    assert.deepEqual(customer.sent, []);
    skew += 400; // a's lane lease and the entry's time are up: the sweep resumes the lane and drops the entry
    await b.sweep();
    await b.idle();
    assert.deepEqual(customer.sent, ['2']);
    assert.deepEqual((await store.lanes.get(laneKey('e', 'toCustomer')))?.value.dropped, [{ id: line.id, seq: 1 }]);
    await a.dispatch(e, await a.record(structuredClone(line), e)); // the channel's retry
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['2', '1']);
    // Retried once more after delivery: its id was dropped once, but under another entry: not sent again.
    await b.dispatch(e, await b.record(structuredClone(line), e));
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['2', '1']);
  });

  it('a holder about to drop an entry as never stored, while its acceptor marks it stored: the drop fails and the line is delivered', async () => {
    const store = createMemoryStore();
    const { a, b, customer } = await pair(store);
    const stored = holdWrite(store, 'x');
    const put = store.lanes.put.bind(store.lanes);
    let dropAttempts = 0;
    store.lanes.put = async (key, doc, etag) => {
      if (doc.dropped?.length && dropAttempts++ === 0) {
        // Right before the holder's drop is written, the acceptor's write lands and it marks the entry stored.
        stored();
        await until(async () => (await store.lanes.get(key))?.value.queue.some((q) => q.stored) ?? false);
      }
      return put(key, doc, etag);
    };
    const late = a.record(toCustomer('x'), e);
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.queue.length === 1);
    skew += 400; // a's lease and the entry's time are up
    await b.sweep();
    await a.dispatch(e, await late);
    await Promise.all([a.idle(), b.idle()]);
    assert.equal(dropAttempts, 1, 'the holder tried to drop it once');
    assert.deepEqual(customer.sent, ['x']);
    await assertDeliveredInLane(store, 'e', 'toCustomer');
  });

  it('a line stored after a holder dropped its entry is queued again by its acceptor: delivered once, not lost', async () => {
    const store = createMemoryStore();
    const { a, b, customer } = await pair(store);
    const stored = holdWrite(store, 'slow');
    const late = a.record(toCustomer('slow'), e);
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.queue.length === 1);
    skew += 400; // the write takes longer than the lease: b's sweep drops the entry as never stored
    await b.sweep();
    await b.idle();
    assert.equal((await store.lanes.get(laneKey('e', 'toCustomer')))?.value.queue.length, 0);
    stored();
    await a.dispatch(e, await late);
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['slow']);
    assert.equal((await store.transcripts.list('e'))[0].delivery.state, 'delivered', 'queued again as an item with its own state');
  });

  it('a give-back that fails after the send: the lane is resumed later and the line is not sent again', async () => {
    const store = createMemoryStore();
    const { a, b, customer } = await pair(store);
    const put = store.lanes.put.bind(store.lanes);
    let failures = 1;
    store.lanes.put = async (key, doc, etag) => {
      if (doc.queue.length === 0 && doc.until === 0 && failures-- > 0) throw new StoreUnavailableError('store unavailable');
      return put(key, doc, etag);
    };
    await a.dispatch(e, await a.record(toCustomer('once'), e));
    assert.deepEqual(customer.sent, ['once']);
    assert.equal((await store.lanes.get(laneKey('e', 'toCustomer')))?.value.queue.length, 1, 'still listed');
    skew += 400;
    await a.sweep();
    await a.idle();
    assert.deepEqual(customer.sent, ['once']);
    await assertDeliveredInLane(store, 'e', 'toCustomer');
    void b;
  });

  it('a dead holder\'s queued lines (no lease of their own) are resumed by a sweep, in order, once', async () => {
    const store = createMemoryStore();
    const { a, b, customer } = await pair(store);
    // a appends and stores two lines, then dies before serving them.
    const lines = [toCustomer('1'), toCustomer('2')];
    for (const [i, line] of lines.entries()) {
      await store.transcripts.append({ ...line, delivery: { ...line.delivery, state: 'queued', laneSeq: i + 1 } });
    }
    await store.lanes.put(laneKey('e', 'toCustomer'), { holder: 'dead', until: clock.now() + 100, last: 2, queue: lines.map((l, i) => ({ id: l.id, seq: i + 1, at: clock.now() })) });
    await Promise.all([a.sweep(), b.sweep()]);
    assert.deepEqual(customer.sent, [], 'its lease still runs');
    skew += 200;
    await Promise.all([a.sweep(), b.sweep()]);
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['1', '2']);
    await assertDeliveredInLane(store, 'e', 'toCustomer');
  });

  it('an entry marked stored whose line cannot be read is given up after four leases; the lines behind it go out', async () => {
    const store = createMemoryStore();
    const { a, customer } = await pair(store);
    const line = toCustomer('behind');
    await store.transcripts.append({ ...line, delivery: { ...line.delivery, state: 'queued', laneSeq: 2 } });
    const at = clock.now();
    await store.lanes.put(laneKey('e', 'toCustomer'), { holder: 'dead', until: at - 1, last: 2, queue: [{ id: 'gone', seq: 1, at, stored: true }, { id: line.id, seq: 2, at }] });
    await a.sweep(); // resumed: 'gone' is waited for
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.holder === 'a');
    assert.deepEqual(customer.sent, []);
    skew += 4 * 300 + 1; // four leases
    await a.idle();
    assert.deepEqual(customer.sent, ['behind']);
    assert.deepEqual((await store.lanes.get(laneKey('e', 'toCustomer')))?.value.dropped, [{ id: 'gone', seq: 1 }]);
  });

  it('a line a lone process is still retrying when a peer appears is not overtaken by its next line (now in the lane)', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([new DeliveryError('throttled', { status: 429, retryAfterMs: 200 })]);
    const a = await started(relayOn(store, customer, { ...shared, instanceId: 'a' }, clock).relay);
    assert.equal(a.shared(), false);
    const first = a.dispatch(e, await a.record(toCustomer('1'), e)); // throttled once: waits 200 ms under its own lease
    await store.instances.heartbeat('b', 60_000, clock.now()); // another process appears
    await a.sweep();
    assert.equal(a.shared(), true);
    skew += 200; // past the joining grace
    const second = a.dispatch(e, await a.record(toCustomer('2'), e));
    await Promise.all([first, second, a.idle()]);
    assert.deepEqual(customer.sent, ['1', '2']);
  });

  it('a request retried at a peer for a line a lone process is still sending waits for that send: sent once, and the peer\'s next line after it', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([new DeliveryError('throttled', { status: 429, retryAfterMs: 200 })]);
    const a = await started(relayOn(store, customer, { ...shared, leaseMs: 5_000, instanceId: 'a' }, clock).relay);
    const line = toCustomer('1');
    const first = a.dispatch(e, await a.record(line, e)); // throttled once: a retries it under its own lease
    const b = await started(relayOn(store, customer, { ...shared, leaseMs: 5_000, instanceId: 'b' }, clock).relay);
    await bothShared(a, b);
    skew += 200; // past b's joining grace
    const retried = await b.record({ ...line }, e); // the same activity again, at b: its entry joins the lane
    assert.equal(retried.duplicate, true);
    const next = await b.record(toCustomer('2'), e);
    await Promise.all([first, b.dispatch(e, retried), b.dispatch(e, next)]);
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['1', '2']);
  });

  it('a line whose own lease ran out with its process is taken over by the lane\'s holder and sent once', async () => {
    const store = createMemoryStore();
    const customer = recordingCustomer();
    const { a, b } = await pair(store, customer);
    const line = toCustomer('left by a dead process');
    line.delivery = { ...line.delivery, leaseOwner: 'dead', leaseUntil: clock.now() - 1 };
    await store.transcripts.append(line);
    const retried = await b.record({ ...line }, e);
    await b.dispatch(e, retried);
    await Promise.all([a.sweep(), b.sweep()]);
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['left by a dead process']);
    const stored = await store.transcripts.get('e', line.id);
    assert.equal(stored?.value.delivery.state, 'delivered');
  });

  it('an orphan a sweep recovers behind another live holder is sent by that holder at once, not after the sweeper\'s lease', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([], 100);
    const leaseMs = 2_000;
    // Only b's sweep recovers orphans here (a's finds none): the window where the sweeper is not the lane's holder.
    const storeOfA = { ...store, transcripts: { ...store.transcripts, reclaimable: async () => [] } };
    const a = await started(relayOn(storeOfA, customer, { ...shared, leaseMs, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(store, customer, { ...shared, leaseMs, instanceId: 'b' }, clock).relay);
    await bothShared(a, b);
    skew += 200; // past the joining grace
    const first = a.dispatch(e, await a.record(toCustomer('1'), e)); // a holds the lane while it sends (100 ms)
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.holder === 'a');
    const orphan = toCustomer('orphan');
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: clock.now() - 1 };
    await store.transcripts.append(orphan);
    await b.sweep(); // b leases it and queues it in a's lane
    await first;
    await until(() => customer.sent.includes('orphan'), leaseMs / 2); // a does not wait for b's lease to run out
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['1', 'orphan']);
  });

  for (const owner of ['dead', 'b']) {
  it(`an orphan (lease of ${owner === 'b' ? 'the sweeper itself' : 'a dead process'}, run out) recovered behind another live holder is written only by the holder that sends it`, async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([], 100);
    const orphan = toCustomer('orphan');
    const writes: string[] = [];
    const replace = store.transcripts.replace.bind(store.transcripts);
    const counted = { ...store, transcripts: { ...store.transcripts, replace: async (item: Parameters<typeof replace>[0], etag: string) => {
      if (item.id === orphan.id) writes.push(item.delivery.leaseUntil ? `leased to ${item.delivery.leaseOwner}` : item.delivery.state);
      return replace(item, etag);
    } } };
    // Only b's sweep finds orphans: b recovers it while a holds the lane.
    const a = await started(relayOn({ ...counted, transcripts: { ...counted.transcripts, reclaimable: async () => [] } }, customer, { ...shared, leaseMs: 2_000, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(counted, customer, { ...shared, leaseMs: 2_000, instanceId: 'b' }, clock).relay);
    await bothShared(a, b);
    skew += 200; // past the joining grace
    const first = a.dispatch(e, await a.record(toCustomer('1'), e));
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.holder === 'a');
    orphan.delivery = { ...orphan.delivery, leaseOwner: owner, leaseUntil: clock.now() - 1 };
    await store.transcripts.append(orphan);
    await b.sweep();
    await b.sweep(); // found again before the holder reaches it: still no write of the sweeper's
    await first;
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['1', 'orphan']);
    // Not taken by the sweeper and given back before the holder takes it (four writes and more): taken by a, then delivered.
    assert.deepEqual(writes, ['leased to a', 'delivered']);
  });
  }

  it('a process\'s own line whose lease ran out is leased again before its sweep sends it through the lane', async () => {
    const store = createMemoryStore();
    const writes: string[] = [];
    const line = toCustomer('stalled here');
    const replace = store.transcripts.replace.bind(store.transcripts);
    const counted = { ...store, transcripts: { ...store.transcripts, replace: async (item: Parameters<typeof replace>[0], etag: string) => {
      if (item.id === line.id) writes.push(item.delivery.leaseUntil ? `leased to ${item.delivery.leaseOwner}` : item.delivery.state);
      return replace(item, etag);
    } } };
    const { a, customer } = await pair(counted as typeof store);
    // Its lease ran out while it was not being sent here (a process that thinks itself alone may take it now).
    line.delivery = { ...line.delivery, leaseOwner: 'a', leaseUntil: clock.now() - 1 };
    await store.transcripts.append(line);
    await a.sweep();
    await a.idle();
    assert.deepEqual(customer.sent, ['stalled here']);
    assert.deepEqual(writes, ['leased to a', 'delivered'], 'taken again with a conditional write, then sent');
  });

  it('an item with its own lease sent through a lane keeps that lease: a process that thinks itself alone does not send it too', async () => {
    const store = createMemoryStore();
    // The first send takes longer than the lease; any later one (a second sender's) goes out at once.
    const customer = recordingCustomer([], (call) => (call === 0 ? 600 : 0));
    const { a, b } = await pair(store, customer);
    const orphan = toCustomer('sent once');
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: clock.now() - 1 };
    await store.transcripts.append(orphan);
    void b.sweep(); // a or b (whichever sweeps first) serves the lane: takes the orphan's lease, then sends (600 ms)
    const delivery = async () => (await store.transcripts.get('e', orphan.id))?.value.delivery;
    await until(async () => ['a', 'b'].includes((await delivery())?.leaseOwner ?? ''));
    const taken = clock.now();
    // c has never seen the others (no heartbeats): alone, it takes orphans by their own lease.
    const alone = { ...store, instances: { heartbeat: async () => undefined, instances: async () => [] } };
    const c = await started(relayOn(alone, customer, { ...shared, sweepIntervalMs: 0, instanceId: 'c' }, clock).relay);
    // Past the end of the lease taken (lane leases are renewed meanwhile), with the send still in progress.
    await until(() => clock.now() > taken + shared.leaseMs + 50);
    assert.deepEqual(customer.sent, [], 'still sending');
    await c.sweep();
    await Promise.all([a.idle(), b.idle(), c.idle()]);
    assert.deepEqual(customer.sent, ['sent once']);
  });

  it('a holder that loses the lane while an item with its own lease waits to be sent gives that lease back at once', async () => {
    const store = createMemoryStore();
    // The first send waits (as in a rate limiter) for less than the item's lease; meanwhile another process takes the
    // lane. The loser finds out at the fence, while the item's lease (not renewed once the lane is lost) still runs.
    const customer = recordingCustomer([], (call) => (call === 0 ? 200 : 0));
    const { b } = await pair(store, customer);
    const orphan = toCustomer('not sent by the loser');
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: clock.now() - 1 };
    await store.transcripts.append(orphan);
    void b.sweep(); // a or b serves the lane: takes the orphan's lease, then waits 200 ms before the send
    const delivery = async () => (await store.transcripts.get('e', orphan.id))?.value.delivery;
    await until(async () => ['a', 'b'].includes((await delivery())?.leaseOwner ?? ''));
    const key = laneKey('e', 'toCustomer');
    const lane = (await store.lanes.get(key))!;
    await store.lanes.put(key, { ...lane.value, holder: 'c', until: clock.now() + 60_000 }, lane.etag);
    // The loser's fence stops the send; the item's lease is given back instead of being held until it runs out.
    await until(async () => (await delivery())?.leaseUntil === 0);
    assert.deepEqual(customer.sent, []);
  });

  it('an orphan both sweeps find while a third process holds its lane is sent once, after the line ahead of it', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([], 100);
    const noOrphans = { ...store, transcripts: { ...store.transcripts, reclaimable: async () => [] } };
    const holder = await started(relayOn(noOrphans, customer, { ...shared, leaseMs: 2_000, instanceId: 'h' }, clock).relay);
    const a = await started(relayOn(store, customer, { ...shared, leaseMs: 2_000, instanceId: 'a' }, clock).relay);
    const b = await started(relayOn(store, customer, { ...shared, leaseMs: 2_000, instanceId: 'b' }, clock).relay);
    await bothShared(holder, a, b);
    skew += 200; // past the joining grace
    const first = holder.dispatch(e, await holder.record(toCustomer('1'), e));
    await until(async () => (await store.lanes.get(laneKey('e', 'toCustomer')))?.value.holder === 'h');
    const orphan = toCustomer('orphan');
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: clock.now() - 1 };
    await store.transcripts.append(orphan);
    await Promise.all([a.sweep(), b.sweep()]);
    const lane = await store.lanes.get(laneKey('e', 'toCustomer'));
    assert.deepEqual(lane?.value.queue.filter((q) => q.id === orphan.id).length, 1, 'one entry for the orphan');
    await first;
    await Promise.all([holder.idle(), a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['1', 'orphan']);
    assert.equal((await store.transcripts.get('e', orphan.id))?.value.delivery.state, 'delivered');
  });
});
