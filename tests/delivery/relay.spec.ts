import { strict as assert } from 'node:assert';
import { StoreUnavailableError } from '../../src/core/errors';
import { loadConfig } from '../../src/config';
import { DeliveryError } from '../../src/delivery/deliveryError';
import type { CustomerChannel } from '../../src/delivery/ports';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { newCardItem, newEntry } from '../../src/core/transcript';
import { recordingCustomer, recordingDesk, sampleEscalation } from '../helpers/fixtures';
import { e, relayOn, toCustomer, until } from '../helpers/relays';

describe('Relay (the delivery room)', () => {
  it('retries transient failures (429 with Retry-After, 503, network) and records delivered', async () => {
    const customer = recordingCustomer([new DeliveryError('busy', { status: 429, retryAfterMs: 30 }), new DeliveryError('down', { status: 503 }), new DeliveryError('reset')]);
    const { relay, store } = relayOn(undefined, customer);
    await relay.dispatch(e, await relay.record(toCustomer('hello'), e));
    assert.deepEqual(customer.sent, ['hello']);
    const [stored] = await store.transcripts.list('e');
    assert.deepEqual([stored.delivery.state, stored.delivery.attempts], ['delivered', 4]);
  });

  it('does not retry what the edge calls final, and reports it in the desk thread as a stored line', async () => {
    const customer = recordingCustomer([new DeliveryError('removed', { status: 403, retryable: false, unreachable: true })]);
    const { relay, store, desk } = relayOn(undefined, customer);
    await store.escalations.create(e);
    await relay.dispatch(e, await relay.record(toCustomer('lost?'), e));
    await relay.idle();
    assert.deepEqual(customer.sent, []);
    const entries = await store.transcripts.list('e');
    assert.deepEqual([entries[0].delivery.state, entries[0].delivery.attempts], ['failed', 1]);
    assert.match(desk.posts.join('\n'), /could not be delivered to the customer/);
    assert.ok(entries.some((t) => t.kind === 'notice' && t.delivery.state === 'delivered'), 'the report is a line of its own');
  });

  it('keeps order per escalation and direction even when an earlier line is retried', async () => {
    const customer = recordingCustomer([new DeliveryError('busy', { status: 503 }), new DeliveryError('busy', { status: 503 })]);
    const { relay } = relayOn(undefined, customer, { minDelayMs: 5, maxDelayMs: 10 });
    const texts = ['1', '2', '3', '4', '5'];
    const pending = [];
    for (const t of texts) pending.push(relay.dispatch(e, await relay.record(toCustomer(t), e)));
    await Promise.all(pending);
    assert.deepEqual(customer.sent, texts);
  });

  it('reports a duplicate intake instead of storing it twice', async () => {
    const { relay, desk } = relayOn();
    const entry = newEntry({ escalationId: 'e', direction: 'toDesk', kind: 'customer', text: 'x', sourceActivityId: 'act-1', now: new Date() });
    const first = await relay.record(entry, e);
    assert.equal(first.duplicate, false);
    void relay.dispatch(e, first);
    assert.equal((await relay.record({ ...entry }, e)).duplicate, true, 'while it is being delivered');
    await relay.idle();
    assert.equal((await relay.record({ ...entry }, e)).duplicate, true, 'once it was delivered');
    assert.deepEqual(desk.posts, ['x']);
  });

  it('gives up, visibly in the transcript, on an orphan whose escalation no longer exists', async () => {
    const store = createMemoryStore();
    const orphan = toCustomer('to nobody');
    orphan.escalationId = 'gone';
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead-process', leaseUntil: Date.now() - 1 };
    await store.transcripts.append(orphan);
    const customer = recordingCustomer();
    const { relay } = relayOn(store, customer);
    await relay.start();
    await relay.stop();
    const [stored] = await store.transcripts.list('gone');
    assert.deepEqual([stored.delivery.state, /no longer exists/.test(stored.delivery.lastError ?? '')], ['failed', true]);
    assert.deepEqual(await store.transcripts.reclaimable(Date.now() + 3_600_000, 10), []);
    assert.deepEqual(customer.sent, []);
  });

  it('the sweep\'s query returns only orphans, however many items are in flight ahead of them', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 600; i++) {
      const live = toCustomer(`live ${i}`);
      live.delivery = { ...live.delivery, leaseOwner: 'alive', leaseUntil: Date.now() + 60_000 };
      await store.transcripts.append(live);
    }
    const orphan = toCustomer('orphan');
    orphan.delivery = { ...orphan.delivery, leaseOwner: 'dead', leaseUntil: Date.now() - 1 };
    await store.transcripts.append(orphan);
    const found = await store.transcripts.reclaimable(Date.now(), 500);
    assert.deepEqual(found.map((f) => f.value.text), ['orphan']);
  });

  it('a process that lost the item\'s lease while its send waited (rate limiter) does not send', async () => {
    const store = createMemoryStore();
    let now = Date.parse('2026-11-25T10:00:00Z');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sent: string[] = [];
    let waiting = false;
    const limited: CustomerChannel = {
      async send(_e, m, fence) {
        waiting = true;
        await gate; // the rate limiter's wait
        await fence();
        sent.push(m.text);
      },
    };
    const { relay } = relayOn(store, limited, { leaseMs: 1_000, retries: 0 }, { now: () => now });
    const recorded = await relay.record(toCustomer('once'), e);
    const delivery = relay.dispatch(e, recorded);
    await until(() => waiting);
    // Meanwhile the lease ran low and another process took the item over.
    now += 900;
    const current = (await store.transcripts.get('e', recorded.item.id))!;
    await store.transcripts.replace({ ...current.value, delivery: { ...current.value.delivery, leaseOwner: 'other', leaseUntil: now + 60_000 } }, current.etag);
    release();
    await delivery;
    assert.deepEqual(sent, []);
    const after = (await store.transcripts.get('e', recorded.item.id))!.value;
    assert.deepEqual([after.delivery.state, after.delivery.leaseOwner], ['pending', 'other']);
  });

  it('a failed write of the delivered state is retried: the line is not sent again', async () => {
    const store = createMemoryStore();
    const replace = store.transcripts.replace.bind(store.transcripts);
    let failures = 3;
    store.transcripts.replace = async (item, etag) => {
      if (item.delivery.state === 'delivered' && failures-- > 0) throw new StoreUnavailableError('store unavailable');
      return replace(item, etag);
    };
    const customer = recordingCustomer();
    let now = Date.now();
    const { relay } = relayOn(store, customer, { leaseMs: 200, sweepIntervalMs: 0 }, { now: () => now });
    await relay.dispatch(e, await relay.record(toCustomer('once'), e));
    await store.escalations.create(e);
    now += 250; // past the lease: a sweep would take a line still pending
    await relay.sweep();
    await relay.idle();
    assert.deepEqual(customer.sent, ['once']);
    assert.equal((await store.transcripts.list('e'))[0].delivery.state, 'delivered');
  });

  it('a delivered state the store could not take for longer than its retries is written when a sweep brings the line back: no process sends it again', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const replace = store.transcripts.replace.bind(store.transcripts);
    let down = true;
    let deliveredWrites = 0;
    store.transcripts.replace = async (item, etag) => {
      if (item.delivery.state === 'delivered' && (deliveredWrites++, down)) throw new StoreUnavailableError('store unavailable');
      return replace(item, etag);
    };
    const customer = recordingCustomer();
    let now = Date.now();
    const a = relayOn(store, customer, { leaseMs: 200, sweepIntervalMs: 0, instanceId: 'a' }, { now: () => now }).relay;
    await a.dispatch(e, await a.record(toCustomer('once'), e));
    assert.equal((await store.transcripts.list('e'))[0].delivery.state, 'pending', 'the outage outlasted the retries');
    down = false;
    now += 250; // past the line's lease: the sweep takes it back
    await a.sweep();
    await a.idle();
    const [line] = await store.transcripts.list('e');
    assert.equal(line.delivery.state, 'delivered');
    const writes = deliveredWrites;
    now += 250;
    await a.sweep(); // nothing pending: no write, no send
    const b = relayOn(store, customer, { leaseMs: 200, sweepIntervalMs: 0, instanceId: 'b' }, { now: () => now }).relay;
    await b.sweep(); // another process (or this one restarted) finds nothing to send
    await Promise.all([a.idle(), b.idle()]);
    assert.deepEqual(customer.sent, ['once']);
    assert.equal(deliveredWrites, writes);
  });

  // What this guards is the names: the delivery half below passes with equal names too (the line's lease is live, so
  // no sweep takes it). Equal names matter where a process trusts its own name: shared lanes' holders and a lost
  // create's answer (record). Distinct names are what loadConfig must give.
  it('two overlapping processes of one App Service instance (same WEBSITE_INSTANCE_ID) get distinct lease names; a line is delivered once', async () => {
    const env = { NODE_ENV: 'test', WEBSITE_INSTANCE_ID: 'abc123' };
    const [first, second] = [loadConfig(env).instanceId, loadConfig(env).instanceId];
    assert.notEqual(first, second);
    assert.match(first, /^abc123-p\d+-/);
    const store = createMemoryStore();
    await store.escalations.create(e);
    const customer = recordingCustomer([], 300); // the old process is still sending when the new one starts
    const a = relayOn(store, customer, { instanceId: first }).relay;
    const b = relayOn(store, customer, { instanceId: second }).relay;
    const delivery = a.dispatch(e, await a.record(toCustomer('once'), e));
    await b.start(); // the new process's first sweep: the line is leased to the old one, not to it
    await Promise.all([delivery, b.stop(), a.idle()]);
    assert.deepEqual(customer.sent, ['once']);
  });
  it('both sides unreachable: a failed line is reported once to the other side, and that failed report is not reported back', async () => {
    const store = createMemoryStore();
    await store.escalations.create(e);
    const gone = () => new DeliveryError('removed', { status: 403, retryable: false, unreachable: true });
    const customer: CustomerChannel = { async send() { throw gone(); } };
    const append = store.transcripts.append.bind(store.transcripts);
    let appended = 0;
    // Without the stop the reports bounced without end (the relay never went idle): this guard ends such a loop.
    store.transcripts.append = async (item) => {
      if (++appended > 50) throw new StoreUnavailableError('stopped by the test');
      return append(item);
    };
    const { relay } = relayOn(store, customer, {}, { desk: recordingDesk(() => gone()) });
    void relay.dispatch(e, await relay.record(toCustomer('hello'), e));
    await relay.idle();
    const lines = (await store.transcripts.list('e')).map((l) => `${l.direction} ${l.delivery.state}`);
    assert.deepEqual(lines, ['toCustomer failed', 'toDesk failed']);
  });

  it('a follow-up of the announcement (the full details) that cannot be stored at first is stored and posted on the retry', async () => {
    const store = createMemoryStore();
    const fresh = sampleEscalation({ problem: 'x'.repeat(80) }); // the test desk returns a follow-up line for it
    await store.escalations.create(fresh);
    const append = store.transcripts.append.bind(store.transcripts);
    let failures = 1;
    store.transcripts.append = async (item) => {
      if (item.text === 'full details' && failures-- > 0) throw new StoreUnavailableError('the store blinked');
      return append(item);
    };
    const { relay, desk } = relayOn(store, recordingCustomer());
    const card = newCardItem('e', 'ev-1', new Date());
    await relay.dispatch(fresh, await relay.record(card, fresh));
    await relay.idle();
    assert.equal(desk.threads.length, 1, 'announced once');
    assert.deepEqual(desk.posts, ['full details']);
    assert.equal((await store.outbox.get('e', card.id))?.value.delivery.state, 'delivered');
  });
});
