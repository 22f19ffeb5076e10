import { strict as assert } from 'node:assert';
import pino from 'pino';
import type { Escalation } from '../../src/core/escalation';
import { DeliveryError } from '../../src/core/errors';
import type { AgentDesk, CustomerChannel, LaneMemory } from '../../src/core/ports';
import { defaultRelayOptions, Relay } from '../../src/core/relay';
import { newEntry } from '../../src/core/transcript';
import { createMemoryStore } from '../../src/store/memory/memoryStore';

const log = pino({ level: 'silent' });
const now = new Date().toISOString();
const e: Escalation = {
  id: 'e',
  status: 'claimed',
  customer: { conversationId: 'c', userId: 'u', channelId: 'msteams', serviceUrl: 's', botId: 'b' },
  problem: '',
  context: {},
  createdAt: now,
  updatedAt: now,
  deskRef: { desk: 'test', conversationId: 't', rootActivityId: 'r' },
};

/** A customer channel at the edge that fails as told, then records. */
function flakyCustomer(failures: DeliveryError[]): CustomerChannel & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    async send(_e, m) {
      const f = failures.shift();
      if (f) throw f;
      sent.push(m.text);
    },
  };
}

function recordingDesk(): AgentDesk & { posts: string[] } {
  const posts: string[] = [];
  return { posts, announce: async () => e.deskRef!, refresh: async () => undefined, post: async (_e, m) => void posts.push(m.text) };
}

const toCustomer = (text: string) => newEntry({ escalationId: 'e', direction: 'toCustomer', kind: 'agent', text, now, author: { id: 'a', name: 'A' } });

describe('Relay', () => {
  it('retries transient failures (429 with Retry-After, 503, network) and records delivered', async () => {
    const store = createMemoryStore();
    const customer = flakyCustomer([new DeliveryError('busy', { status: 429, retryAfterMs: 30 }), new DeliveryError('down', { status: 503 }), new DeliveryError('reset')]);
    const relay = new Relay(store, customer, recordingDesk(), log, { ...defaultRelayOptions, retries: 5, minDelayMs: 1, maxDelayMs: 5 });
    await relay.dispatch(e, await relay.record(toCustomer('hello')));
    assert.deepEqual(customer.sent, ['hello']);
    const [stored] = await store.transcripts.list('e');
    assert.equal(stored.delivery.state, 'delivered');
    assert.equal(stored.delivery.attempts, 4);
  });

  it('does not retry 403 and reports the failure in the desk thread', async () => {
    const store = createMemoryStore();
    const customer = flakyCustomer([new DeliveryError('removed', { status: 403 })]);
    const desk = recordingDesk();
    const relay = new Relay(store, customer, desk, log, { ...defaultRelayOptions, retries: 5, minDelayMs: 1, maxDelayMs: 5 });
    await relay.dispatch(e, await relay.record(toCustomer('lost?')));
    assert.deepEqual(customer.sent, []);
    const [stored] = await store.transcripts.list('e');
    assert.equal(stored.delivery.state, 'failed');
    assert.equal(stored.delivery.attempts, 1);
    assert.equal(desk.posts.length, 1);
    assert.match(desk.posts[0], /could not be delivered to the customer/);
  });

  it('keeps order per escalation and direction even when an earlier line is retried', async () => {
    const store = createMemoryStore();
    const customer = flakyCustomer([new DeliveryError('busy', { status: 503 }), new DeliveryError('busy', { status: 503 })]);
    const relay = new Relay(store, customer, recordingDesk(), log, { ...defaultRelayOptions, retries: 5, minDelayMs: 5, maxDelayMs: 10 });
    const texts = ['1', '2', '3', '4', '5'];
    const pending = [];
    for (const t of texts) pending.push(relay.dispatch(e, await relay.record(toCustomer(t))));
    await Promise.all(pending);
    assert.deepEqual(customer.sent, texts);
  });

  it('reports a duplicate intake instead of storing it twice', async () => {
    const relay = new Relay(createMemoryStore(), flakyCustomer([]), recordingDesk(), log);
    const entry = newEntry({ escalationId: 'e', direction: 'toDesk', kind: 'customer', text: 'x', sourceActivityId: 'act-1', now });
    assert.equal((await relay.record(entry)).duplicate, false);
    assert.equal((await relay.record({ ...entry })).duplicate, true);
  });

  it('gives up, visibly in the transcript, on an orphan whose escalation no longer exists (no sweep returns it again)', async () => {
    const store = createMemoryStore();
    const orphan = toCustomer('to nobody');
    orphan.escalationId = 'gone';
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead-instance', leaseUntil: Date.now() - 1 };
    await store.transcripts.append(orphan);
    const customer = flakyCustomer([]);
    const relay = new Relay(store, customer, recordingDesk(), log, { ...defaultRelayOptions, instanceId: 'alive', sweepIntervalMs: 0 });
    await relay.start();
    await relay.stop();
    const [stored] = await store.transcripts.list('gone');
    assert.equal(stored.delivery.state, 'failed');
    assert.match(stored.delivery.lastError ?? '', /no longer exists/);
    assert.deepEqual(await store.transcripts.reclaimable('alive', Date.now() + 3_600_000, 10), []);
    assert.deepEqual(customer.sent, []);
  });

  describe('several instances on one store (lanes under a lease)', () => {
    const shared = { ...defaultRelayOptions, retries: 5, minDelayMs: 1, maxDelayMs: 5, leaseMs: 300, sweepIntervalMs: 50 };
    const memoOf = (tag: string): LaneMemory => ({ export: () => ({ sent: [tag] }), import: () => undefined, instances: () => undefined });
    const relays: Relay[] = [];
    const started = async (relay: Relay) => {
      relays.push(relay);
      await relay.start();
      return relay;
    };
    afterEach(async () => {
      await Promise.all(relays.splice(0).map((r) => r.stop()));
    });

    it('a Retry-After longer than the lane lease keeps the lane: the other instance never sends the line too', async () => {
      const store = createMemoryStore();
      await store.escalations.create(e); // an instance that collects the lane on its own reads it
      const customer = flakyCustomer([new DeliveryError('throttled', { status: 429, retryAfterMs: 1000 })]);
      const a = await started(new Relay(store, customer, recordingDesk(), log, { ...shared, instanceId: 'a' }, memoOf('a')));
      const b = await started(new Relay(store, customer, recordingDesk(), log, { ...shared, instanceId: 'b' }, memoOf('b')));
      await new Promise((r) => setTimeout(r, 200)); // both have seen each other's heartbeat and are past the grace
      assert.ok(a.shared() && b.shared());
      await a.dispatch(e, await a.record(toCustomer('once'), e));
      await Promise.all([a.idle(), b.idle()]);
      await new Promise((r) => setTimeout(r, 300)); // more sweeps on both
      await Promise.all([a.idle(), b.idle()]);
      assert.deepEqual(customer.sent, ['once']);
      assert.equal((await store.transcripts.list('e'))[0].delivery.state, 'delivered');
    });

    it('a send that waits longer than the lane lease (e.g. in the rate limiter) keeps the lane: sent once', async () => {
      const store = createMemoryStore();
      await store.escalations.create(e);
      const sent: string[] = [];
      const waiting: CustomerChannel = { send: async (_e, m) => void (await new Promise((r) => setTimeout(r, 1000)), sent.push(m.text)) };
      const a = await started(new Relay(store, waiting, recordingDesk(), log, { ...shared, instanceId: 'a' }));
      const b = await started(new Relay(store, waiting, recordingDesk(), log, { ...shared, instanceId: 'b' }));
      await new Promise((r) => setTimeout(r, 200));
      await a.dispatch(e, await a.record(toCustomer('patient'), e));
      await new Promise((r) => setTimeout(r, 300)); // more sweeps on both
      await Promise.all([a.idle(), b.idle()]);
      assert.deepEqual(sent, ['patient']);
    });

    it('a line queued by another instance while the holder delivers is delivered by the holder, in order, before it gives the lane back', async () => {
      const store = createMemoryStore();
      await store.escalations.create(e);
      const sent: string[] = [];
      const slow: CustomerChannel = { send: async (_e, m) => void (await new Promise((r) => setTimeout(r, 300)), sent.push(m.text)) };
      const a = await started(new Relay(store, slow, recordingDesk(), log, { ...shared, leaseMs: 60_000, instanceId: 'a' }));
      const b = await started(new Relay(store, slow, recordingDesk(), log, { ...shared, leaseMs: 60_000, instanceId: 'b' }));
      await new Promise((r) => setTimeout(r, 200));
      const first = a.dispatch(e, await a.record(toCustomer('1'), e));
      await new Promise((r) => setTimeout(r, 100)); // a is sending line 1
      const t0 = Date.now();
      await b.dispatch(e, await b.record(toCustomer('2'), e));
      assert.ok(Date.now() - t0 < 100, 'b only queued its line: a holds the lane');
      await first;
      assert.deepEqual(sent, ['1', '2']);
      const lane = await store.lanes.get('lane-queue|e|toCustomer');
      assert.deepEqual([lane?.value.holder, lane?.value.queue], [undefined, []], 'given back, nothing left');
    });

    it('a dead holder\'s queue is delivered by another instance once the lines\' leases run out', async () => {
      const store = createMemoryStore();
      await store.escalations.create(e);
      const customer = flakyCustomer([]);
      const orphan = toCustomer('left behind');
      orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: Date.now() - 1 };
      await store.transcripts.append(orphan);
      await store.lanes.put('lane-queue|e|toCustomer', { holder: 'dead', until: Date.now() - 1, queue: [orphan.id] });
      await store.leases.heartbeat('dead', 60_000);
      const a = await started(new Relay(store, customer, recordingDesk(), log, { ...shared, instanceId: 'a' }));
      const b = await started(new Relay(store, customer, recordingDesk(), log, { ...shared, instanceId: 'b' }));
      const t0 = Date.now();
      while (customer.sent.length === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300)); // more sweeps on both
      await Promise.all([a.idle(), b.idle()]);
      assert.deepEqual(customer.sent, ['left behind']);
    });

    it('a holder that found nothing to send leaves the previous holder\'s recent sends for the next', async () => {
      const store = createMemoryStore();
      const customer = flakyCustomer([]);
      const a = await started(new Relay(store, customer, recordingDesk(), log, { ...shared, instanceId: 'a' }, memoOf('a')));
      const b = await started(new Relay(store, customer, recordingDesk(), log, { ...shared, instanceId: 'b' }, memoOf('b')));
      await new Promise((r) => setTimeout(r, 200));
      const recorded = await a.record(toCustomer('hello'), e);
      await a.dispatch(e, recorded);
      assert.deepEqual(customer.sent, ['hello']);
      await b.sweep(); // b looks at the lane again: nothing pending any more
      await b.dispatch(e, recorded);
      const lane = await store.lanes.get('lane-queue|e|toCustomer');
      assert.deepEqual(lane?.value.memo, { sent: ['a'] }, JSON.stringify(customer.sent));
      assert.deepEqual(customer.sent, ['hello']);
    });
  });
});
