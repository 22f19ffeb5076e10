/** The customer's Teams chat over HTTP to the connector stub: a long line in parts, and a retry after a later part failed. */
import { strict as assert } from 'node:assert';
import { StoreUnavailableError } from '../../src/core/errors';
import { Ledger } from '../../src/core/ledger';
import { newEntry } from '../../src/core/transcript';
import { Relay } from '../../src/delivery/relay';
import type { DeliveryError } from '../../src/delivery/deliveryError';
import { Connector } from '../../src/outbound/connector';
import { TeamsCustomerChannel } from '../../src/skill/teamsCustomerChannel';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { ConnectorStub } from '../helpers/connectorStub';
import { recordingDesk, sampleEscalation, silent } from '../helpers/fixtures';

describe('the customer Teams channel', () => {
  let stub: ConnectorStub;
  before(async () => (stub = await new ConnectorStub().start()));
  after(() => stub.stop());

  it('a reply over Teams\' size in parts: when the second is refused (503), the retry sends it, not the first again', async () => {
    const connector = new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => '' });
    const store = createMemoryStore();
    const base = sampleEscalation();
    const e = sampleEscalation({ status: 'claimed', customer: { ...base.customer, channel: 'teams', conversationId: 'a:long', address: { userId: 'u', serviceUrl: `${stub.url}/teams/`, botId: 'b', channelId: 'msteams' } }, deskRef: { desk: 'test-desk', threadId: 't', address: {} } });
    await store.escalations.create(e);
    const relay = new Relay({ store, customers: new Map([['teams', new TeamsCustomerChannel(connector)]]), desks: new Map([['test-desk', recordingDesk()]]), log: silent, options: { sweepIntervalMs: 0, minDelayMs: 1, maxDelayMs: 5 } });
    relay.attach(new Ledger(store.escalations, relay, () => new Date()));
    let sends = 0;
    stub.inject((c) => c.kind === 'send' && c.conversationId === 'a:long' && ++sends === 2, { status: 503 });
    const line = newEntry({ escalationId: e.id, direction: 'toCustomer', kind: 'agent', text: 'a'.repeat(30 * 1024), now: new Date(), author: { id: 'a', name: 'Ann' } });
    await relay.dispatch(e, await relay.record(line, e));
    const parts = stub.successful('send').filter((c) => c.conversationId === 'a:long').map((c) => String(c.body.text));
    const attempts = stub.calls.filter((c) => c.kind === 'send' && c.conversationId === 'a:long').map((c) => c.status);
    assert.deepEqual(attempts, [200, 503, 200], 'part one, part two refused, part two again');
    assert.equal(parts.length, 2, `each part once: ${JSON.stringify(parts.map((p) => p.length))}`);
    assert.equal(parts.join('').match(/a/g)?.length, 30 * 1024, 'all of the text (the name is "Ann", no lowercase a)');
    assert.equal((await store.transcripts.get(e.id, line.id))?.value.delivery.state, 'delivered');
  });
  it('a process that dies between the parts: the one that takes the line over sends the rest, not the first part again', async () => {
    const connector = new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => '' });
    const store = createMemoryStore();
    let now = Date.parse('2026-12-02T10:00:00Z');
    const base = sampleEscalation();
    const e = sampleEscalation({ status: 'claimed', customer: { ...base.customer, channel: 'teams', conversationId: 'a:crash', address: { userId: 'u', serviceUrl: `${stub.url}/teams/`, botId: 'b', channelId: 'msteams' } }, deskRef: { desk: 'test-desk', threadId: 't', address: {} } });
    await store.escalations.create(e);
    // Process a loses the store (it died) once its second part is on the wire, and that request is never answered.
    let aDead = false;
    const unlessDead = <A extends unknown[], R>(f: (...args: A) => Promise<R>) => async (...args: A) => {
      if (aDead) throw new StoreUnavailableError('process a is gone');
      return f(...args);
    };
    const aStore = { ...store, transcripts: { ...store.transcripts, replace: unlessDead(store.transcripts.replace), get: unlessDead(store.transcripts.get) } };
    const relayOf = (s: typeof store, instanceId: string) => {
      const relay = new Relay({ store: s, customers: new Map([['teams', new TeamsCustomerChannel(connector)]]), desks: new Map([['test-desk', recordingDesk()]]), log: silent, now: () => now, options: { instanceId, leaseMs: 10_000, sweepIntervalMs: 0, minDelayMs: 1, maxDelayMs: 5 } });
      relay.attach(new Ledger(s.escalations, relay, () => new Date(now)));
      return relay;
    };
    const [a, b] = [relayOf(aStore, 'a'), relayOf(store, 'b')];
    let answer!: () => void;
    let sends = 0;
    stub.inject((c) => c.kind === 'send' && c.conversationId === 'a:crash' && ++sends === 2 && (aDead = true), { status: 503, until: new Promise<void>((r) => (answer = r)) });
    const line = newEntry({ escalationId: e.id, direction: 'toCustomer', kind: 'agent', text: 'a'.repeat(30 * 1024), now: new Date(now), author: { id: 'a', name: 'Ann' } });
    const sending = a.dispatch(e, await a.record(line, e));
    await stub.waitFor(() => sends === 2);
    now += 11_000; // a's lease on the line ran out
    await b.sweep();
    await b.idle();
    answer();
    await sending;
    const parts = stub.successful('send').filter((c) => c.conversationId === 'a:crash').map((c) => String(c.body.text));
    assert.equal(parts.length, 2, `each part once: ${JSON.stringify(parts.map((p) => p.length))}`);
    assert.equal(parts.join('').match(/a/g)?.length, 30 * 1024, 'all of the text, in order');
    assert.equal((await store.transcripts.get(e.id, line.id))?.value.delivery.state, 'delivered');
  });

  it('the service\'s notices go as plain text (a name in one is never markdown); an agent\'s line as markdown', async () => {
    const connector = new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => '' });
    const channel = new TeamsCustomerChannel(connector);
    const base = sampleEscalation();
    const e = sampleEscalation({ customer: { ...base.customer, channel: 'teams', conversationId: 'a:formats', address: { userId: 'u', serviceUrl: `${stub.url}/teams/`, botId: 'b', channelId: 'msteams' } } });
    const open = async () => undefined;
    await channel.send(e, { text: '*Ann* [x](https://e.example) joined the chat.' }, open);
    await channel.send(e, { text: 'hello', from: 'Ann' }, open);
    const sent = stub.successful('send').filter((c) => c.conversationId === 'a:formats').map((c) => [c.body.textFormat, c.body.text]);
    assert.deepEqual(sent, [['plain', '*Ann* [x](https://e.example) joined the chat.'], ['markdown', '**Ann**: hello']]);
  });

  it('over HTTP: Teams\' retry statuses are retryable, 403/404 final and unreachable, 400 final; Retry-After is read', async () => {
    const connector = new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => '' });
    const channel = new TeamsCustomerChannel(connector);
    const base = sampleEscalation();
    const e = sampleEscalation({ customer: { ...base.customer, channel: 'teams', conversationId: 'a:statuses', address: { userId: 'u', serviceUrl: `${stub.url}/teams/`, botId: 'b', channelId: 'msteams' } } });
    const outcome = async (status: number, retryAfter?: string) => {
      stub.inject((c) => c.kind === 'send' && c.conversationId === 'a:statuses', { status, ...(retryAfter ? { retryAfterHeader: retryAfter } : {}) });
      try {
        await channel.send(e, { text: 'x' }, async () => undefined);
        return 'sent';
      } catch (err) {
        const d = err as DeliveryError;
        return [d.status, d.retryable, d.unreachable, d.retryAfterMs];
      }
    };
    for (const status of [412, 429, 500, 502, 503, 504]) assert.deepEqual(await outcome(status), [status, true, false, undefined], `HTTP ${status}`);
    for (const status of [403, 404]) assert.deepEqual(await outcome(status), [status, false, true, undefined], `HTTP ${status}`);
    assert.deepEqual(await outcome(400), [400, false, false, undefined]);
    assert.deepEqual(await outcome(429, '7'), [429, true, false, 7000], 'Retry-After in seconds');
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const [, , , ms] = (await outcome(503, inTwoMinutes)) as number[];
    assert.ok(ms > 100_000 && ms <= 120_000, `Retry-After as an HTTP date: ${ms} ms`);
  });
});
