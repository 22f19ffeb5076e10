import { strict as assert } from 'node:assert';
import type { Escalation } from '../../src/core/escalation';
import { StoreUnavailableError } from '../../src/core/errors';
import type { Handover } from '../../src/core/handover';
import { DeliveryError } from '../../src/delivery/deliveryError';
import type { HandoverStore } from '../../src/store/handoverStore';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { recordingDesk, sampleCustomer, wire } from '../helpers/fixtures';

const agent = { id: 'agent-1', name: 'Ann' };
const DAY = 86_400_000;
const unavailable = () => new StoreUnavailableError('store unavailable');

/** Makes `method` of `target` throw what `fail(args, n)` returns on its n-th call (the network edge of the store). */
function failing<T extends object, K extends keyof T>(target: T, method: K, fail: (args: any[], n: number) => Error | undefined): void {
  const original = (target[method] as (...a: unknown[]) => Promise<unknown>).bind(target);
  let n = 0;
  (target as any)[method] = async (...args: unknown[]) => {
    const err = fail(args, ++n);
    if (err) throw err;
    return original(...args);
  };
}

const start = (handover: Handover, conversationId = 'chat-1', problem = 'help') => handover.start({ customer: sampleCustomer(conversationId), problem, context: {} });
const notices = async (store: HandoverStore, id: string) => (await store.transcripts.list(id)).filter((t) => t.kind === 'notice').map((t) => t.text);

describe('Handover', () => {
  describe('start', () => {
    it('20 concurrent starts for one chat open one escalation with one card', async () => {
      const store = createMemoryStore();
      const { handover, relay, desk, customer } = wire(store);
      const results = await Promise.all(Array.from({ length: 20 }, () => start(handover)));
      await relay.idle();
      assert.equal(new Set(results.map((r) => r.escalation.id)).size, 1);
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(desk.threads.length, 1);
      assert.equal(customer.sent.filter((t) => /in line/.test(t)).length, 1);
    });

    it('a start that named the escalation but did not create it yet: the next start creates that one, not a second', async () => {
      const store = createMemoryStore();
      let ids = 0;
      const { handover, relay, desk } = wire(store, { newId: () => `esc-${++ids}`, retentionMs: 30 * DAY });
      failing(store.escalations, 'create', (_args, n) => (n === 1 ? unavailable() : undefined));
      await assert.rejects(start(handover), StoreUnavailableError);
      const retried = await start(handover);
      await relay.idle();
      assert.deepEqual([retried.escalation.id, retried.created, ids], ['esc-1', true, 1]);
      assert.deepEqual(desk.threads, ['esc-1']);
    });

    it('a chat back after the store forgot its last escalation (the retention) gets a new one, with its card and notice', async () => {
      const store = createMemoryStore();
      let now = Date.parse('2026-11-01T10:00:00Z');
      let ids = 0;
      const { handover, relay, desk, customer } = wire(store, { newId: () => `esc-${++ids}`, now: () => now, retentionMs: 30 * DAY });
      const first = await start(handover);
      await relay.idle();
      await handover.customerLeft('chat-1');
      await relay.idle();
      // Cosmos drops a closed escalation's record after the retention (its TTL); its look-up, lines and cards stay
      // for longer. The embedded server has no TTL, so the record's expiry is played here, at the store's edge.
      now += 31 * DAY;
      const get = store.escalations.get.bind(store.escalations);
      store.escalations.get = async (id) => (id === first.escalation.id ? undefined : get(id));
      const again = await start(handover);
      await relay.idle();
      assert.deepEqual([again.escalation.id, again.created], ['esc-2', true]);
      assert.deepEqual(desk.threads, ['esc-1', 'esc-2'], 'the new chat has its own card');
      assert.equal(customer.sent.filter((t) => /in line/.test(t)).length, 2, 'and its own notice');
      assert.equal((await store.lookups.get('customer|chat-1'))?.value, 'esc-2');
    });

    it('a store failure after the escalation is created: the retried start brings its card and notice', async () => {
      const store = createMemoryStore();
      const { handover, relay, desk, customer } = wire(store);
      failing(store.outbox, 'append', (_args, n) => (n === 1 ? unavailable() : undefined));
      await assert.rejects(start(handover), StoreUnavailableError);
      await relay.idle();
      assert.equal(desk.threads.length, 0, 'no card yet');
      const retried = await start(handover);
      await relay.idle();
      assert.equal(retried.created, false);
      assert.equal(desk.threads.length, 1);
      assert.equal(customer.sent.filter((t) => /in line/.test(t)).length, 1);
      assert.deepEqual((await store.escalations.get(retried.escalation.id))?.value.unsettled, undefined, 'settled: no events left on the record');
    });

    it('a failed start that nobody retries is settled by the sweep; its notices keep the start\'s time', async () => {
      const store = createMemoryStore();
      let now = Date.parse('2026-11-25T10:00:00Z');
      const { handover, relay, desk } = wire(store, { options: { leaseMs: 1_000 }, now: () => now, newId: () => 'e-late' });
      failing(store.outbox, 'append', (_args, n) => (n === 1 ? unavailable() : undefined));
      await assert.rejects(start(handover), StoreUnavailableError);
      await relay.sweep();
      assert.equal(desk.threads.length, 0, 'too fresh: the request may still be running');
      now += 60_000;
      await relay.sweep();
      await relay.idle();
      assert.equal(desk.threads.length, 1);
      const notices = (await store.transcripts.list('e-late')).filter((t) => t.kind === 'notice');
      assert.ok(notices.length > 0);
      assert.deepEqual([...new Set(notices.map((t) => t.at))], ['2026-11-25T10:00:00.000Z'], 'stamped when it happened, not a minute later');
    });
  });

  describe('announcing', () => {
    it('a 429 or a store failure at every step of announcing still gives one thread, with its place and follow-ups', async () => {
      const store = createMemoryStore();
      const desk = recordingDesk((op, n) => (op === 'announce' && n === 1) || (op === 'post' && n === 1) ? new DeliveryError('throttled', { status: 429, retryAfterMs: 5 }) : undefined);
      const { handover, relay } = wire(store, { desk });
      // The write that stores the thread fails more often than the store retry covers; the look-up once.
      let placing = 0;
      let placed = false;
      failing(store.escalations, 'replace', (args) => {
        if (!args[0].deskRef || placed) return undefined;
        if (++placing <= 8) return unavailable();
        placed = true;
        return undefined;
      });
      failing(store.lookups, 'create', (args, n) => (String(args[0]).startsWith('desk|') && n > 0 && placing > 0 && n <= 2 ? unavailable() : undefined));
      const { escalation } = await start(handover, 'chat-1', 'x'.repeat(80));
      await relay.idle();
      assert.equal(desk.threads.length, 1, 'one thread');
      const stored = (await store.escalations.get(escalation.id))!.value;
      assert.equal(stored.deskRef?.threadId, 'thread-' + escalation.id + '-1');
      assert.equal((await store.lookups.get(`desk|${stored.deskRef!.threadId}`))?.value, escalation.id);
      assert.deepEqual(desk.posts, ['full details']);
      assert.ok(placing > 6, `the place write failed ${placing} times`);
    });
  });

  describe('a state change whose effects could not all be stored', () => {
    function failNextNotice(store: HandoverStore) {
      let fail = false;
      failing(store.transcripts, 'append', (args) => (fail && args[0].kind === 'notice' ? ((fail = false), unavailable()) : undefined));
      return () => void (fail = true);
    }
    async function opened() {
      const store = createMemoryStore();
      const wired = wire(store);
      const failNext = failNextNotice(store);
      const e: Escalation = (await start(wired.handover)).escalation;
      await wired.relay.idle();
      return { store, ...wired, e, failNext };
    }

    it('claim: the retried request stores the missing notice once, and a repeated click adds nothing', async () => {
      const { store, relay, handover, customer, e, failNext } = await opened();
      failNext();
      await assert.rejects(handover.claim(e.id, agent), StoreUnavailableError);
      assert.equal((await handover.get(e.id))?.owner?.id, agent.id, 'the claim itself was stored');
      await handover.claim(e.id, agent);
      await handover.claim(e.id, agent);
      await relay.idle();
      assert.deepEqual((await notices(store, e.id)).filter((t) => /joined/.test(t)), ['Ann joined the chat.']);
      assert.deepEqual(customer.sent.filter((t) => /joined/.test(t)), ['Ann joined the chat.']);
    });

    it('release: the retry (which finds the chat released) still tells the customer, once', async () => {
      const { store, relay, handover, customer, e, failNext } = await opened();
      await handover.claim(e.id, agent);
      failNext();
      await assert.rejects(handover.release(e.id, agent), StoreUnavailableError);
      await assert.rejects(handover.release(e.id, agent), /not claimed/);
      await relay.idle();
      assert.equal(customer.sent.filter((t) => /handed your chat back/.test(t)).length, 1);
      assert.equal((await notices(store, e.id)).filter((t) => /handed your chat back/.test(t)).length, 1);
    });

    it('resolve: the retry tells the customer once; another agent cannot use the retry path', async () => {
      const { store, relay, handover, customer, e, failNext } = await opened();
      await handover.claim(e.id, agent);
      failNext();
      await assert.rejects(handover.resolve(e.id, agent), StoreUnavailableError);
      await handover.resolve(e.id, agent);
      await handover.resolve(e.id, agent);
      await assert.rejects(handover.resolve(e.id, { id: 'agent-2', name: 'Bo' }), /closed/);
      await relay.idle();
      assert.equal(customer.sent.filter((t) => /ended the chat/.test(t)).length, 1);
      assert.equal((await notices(store, e.id)).filter((t) => /ended the chat/.test(t)).length, 1);
    });

    it('customer left: the retry tells the desk once', async () => {
      const { store, relay, handover, desk, e, failNext } = await opened();
      failNext();
      await assert.rejects(handover.customerLeft('chat-1'), StoreUnavailableError);
      await handover.customerLeft('chat-1');
      await handover.customerLeft('chat-1');
      await relay.idle();
      assert.deepEqual(desk.posts.filter((t) => /left/.test(t) && !t.startsWith('📄 Transcript')), ['The customer left the chat.']);
      assert.equal((await notices(store, e.id)).filter((t) => /left/.test(t)).length, 1);
    });
  });

  describe('customer lines', () => {
    it('LiveChatConversationId saves the look-up, and is ignored when it names another chat\'s escalation', async () => {
      const store = createMemoryStore();
      const { handover, relay, desk } = wire(store);
      const mine = (await start(handover, 'chat-1')).escalation;
      const theirs = (await start(handover, 'chat-2')).escalation;
      await relay.idle();
      let lookups = 0;
      failing(store.lookups, 'get', () => void lookups++);
      await handover.customerMessage({ conversationId: 'chat-1', escalationId: mine.id, text: 'one', activityId: 'a1' });
      assert.equal(lookups, 0);
      const forged = await handover.customerMessage({ conversationId: 'chat-1', escalationId: theirs.id, text: 'two', activityId: 'a2' });
      await relay.idle();
      assert.equal(forged.kind === 'relayed' && forged.escalation.id, mine.id);
      assert.deepEqual((await store.transcripts.list(theirs.id)).filter((t) => t.kind === 'customer'), []);
      assert.deepEqual(desk.posts.filter((t) => ['one', 'two'].includes(t)), ['one', 'two']);
    });

    it('an agent line whose claim finds the chat moved to another queue meanwhile is "moved": not sent, and no owner needed to say so', async () => {
      const store = createMemoryStore();
      const { handover, relay, customer } = wire(store, { queues: ['billing'] });
      const seen = (await start(handover)).escalation; // as the console read it for the thread
      await relay.idle();
      await handover.transfer(seen.id, { id: 'sup', name: 'Sue' }, { kind: 'queue', queue: 'billing' }, true);
      await relay.idle();
      const sent = customer.sent.length;
      const result = await handover.agentMessage(seen, agent, 'hi');
      await relay.idle();
      assert.deepEqual([result.kind, result.escalation.status, result.escalation.queue], ['moved', 'queued', 'billing']);
      assert.equal(customer.sent.length, sent, 'nothing reached the customer');
    });
  });
});
