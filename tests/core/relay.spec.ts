import { strict as assert } from 'node:assert';
import pino from 'pino';
import type { Escalation } from '../../src/core/escalation';
import { DeliveryError } from '../../src/core/errors';
import type { AgentDesk, CustomerChannel } from '../../src/core/ports';
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
});
