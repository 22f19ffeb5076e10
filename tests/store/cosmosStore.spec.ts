import { strict as assert } from 'node:assert';
import pino from 'pino';
import type { Escalation } from '../../src/core/escalation';
import { ConcurrencyError, ConflictError, StoreUnavailableError } from '../../src/core/errors';
import { newCardItem, newEntry } from '../../src/core/transcript';
import type { HandoverStore } from '../../src/store/handoverStore';
import { connectCosmos, type CosmosConnection } from '../../src/store/cosmos/cosmosClient';
import { containers, createCosmosStore } from '../../src/store/cosmos/cosmosStore';
import { createMemoryStore } from '../../src/store/memory/memoryStore';

function escalation(id: string): Escalation {
  const at = new Date().toISOString();
  return {
    id,
    rev: 1,
    status: 'queued',
    desk: 'teams-channel',
    customer: { channel: 'teams', conversationId: `conv-${id}`, address: { userId: 'u', serviceUrl: 'https://smba.trafficmanager.net/teams/', botId: 'b' } },
    problem: 'p',
    context: {},
    createdAt: at,
    updatedAt: at,
  };
}

describe('Cosmos store (embedded Cosmos-compatible server, real @azure/cosmos client)', () => {
  let cosmos: CosmosConnection;
  let store: HandoverStore;

  before(async () => {
    cosmos = await connectCosmos({ managedIdentity: false }, pino({ level: 'silent' }));
    store = await createCosmosStore(cosmos.client, { database: 'test', retentionSeconds: 3600 });
  });
  after(async () => cosmos.close());

  it('creates the database and containers with their partition keys', async () => {
    for (const c of Object.values(containers)) {
      const { resource } = await cosmos.client.database('test').container(c.id).read();
      assert.deepEqual(resource?.partitionKey?.paths, [c.partitionKey]);
      assert.equal(resource?.defaultTtl, -1);
    }
  });

  it('point-reads what it created, without Cosmos system fields', async () => {
    await store.escalations.create(escalation('e1'));
    const got = await store.escalations.get('e1');
    assert.equal(got?.value.id, 'e1');
    assert.ok(got?.etag);
    assert.equal((got?.value as any)._rid, undefined);
    assert.equal(await store.escalations.get('missing'), undefined);
  });

  it('replace is conditional on the ETag: a stale one is a ConcurrencyError', async () => {
    const created = await store.escalations.create(escalation('e2'));
    const first = await store.escalations.replace({ ...created.value, problem: 'first' }, created.etag);
    await assert.rejects(store.escalations.replace({ ...created.value, problem: 'second' }, created.etag), ConcurrencyError);
    await store.escalations.replace({ ...first.value, problem: 'third' }, first.etag);
    assert.equal((await store.escalations.get('e2'))?.value.problem, 'third');
  });

  it('a closed escalation carries the retention TTL; an open one none', async () => {
    const created = await store.escalations.create(escalation('e3'));
    const raw = async () => (await cosmos.client.database('test').container('escalations').item('e3', 'e3').read()).resource;
    assert.equal((await raw()).ttl, undefined);
    await store.escalations.replace({ ...created.value, status: 'closed', closedReason: 'customer' }, created.etag);
    assert.equal((await raw()).ttl, 3600);
  });

  it('lookups: create twice is a ConflictError; replace honours the ETag', async () => {
    const v = await store.lookups.create('customer|c1', 'e1');
    await assert.rejects(store.lookups.create('customer|c1', 'e2'), ConflictError);
    await store.lookups.replace('customer|c1', 'e2', v.etag);
    await assert.rejects(store.lookups.replace('customer|c1', 'e3', v.etag), ConcurrencyError);
    assert.equal((await store.lookups.get('customer|c1'))?.value, 'e2');
  });

  it('keys Cosmos refuses as ids (/, \\, ?, #, over 1,023 bytes) still work as look-ups and settings; a read of such an id finds nothing', async () => {
    for (const key of ['desk|livechat|chats/42', 'webhook|a\\b?c#d', `customer|${'x'.repeat(1_100)}`, `customer|${'y'.repeat(300)}`]) {
      const v = await store.lookups.create(key, 'e1');
      await assert.rejects(store.lookups.create(key, 'e2'), ConflictError);
      await store.lookups.replace(key, 'e2', v.etag);
      assert.equal((await store.lookups.get(key))?.value, 'e2', key);
    }
    assert.equal(await store.lookups.get('desk|livechat|chats/43'), undefined);
    await store.settings.put('console.queueChannel.a/b', { teamId: 't' });
    assert.deepEqual(await store.settings.get('console.queueChannel.a/b'), { teamId: 't' });
    assert.equal(await store.escalations.get('a#b'), undefined, 'an id from outside (LiveChatConversationId) names no escalation');
  });

  it('lookups keep when they were pointed, and give it back', async () => {
    const v = await store.lookups.create('customer|c-at', 'e1', '2026-11-01T10:00:00.000Z');
    assert.equal((await store.lookups.get('customer|c-at'))?.at, '2026-11-01T10:00:00.000Z');
    await store.lookups.replace('customer|c-at', 'e2', v.etag, '2026-12-02T10:00:00.000Z');
    assert.deepEqual(await store.lookups.get('customer|c-at').then((l) => [l?.value, l?.at]), ['e2', '2026-12-02T10:00:00.000Z']);
    await store.lookups.create('desk|t-at', 'e1');
    assert.equal((await store.lookups.get('desk|t-at'))?.at, undefined, 'no time given, none kept');
  });

  it('transcripts: a repeated activity id is a ConflictError; listing is in intake order', async () => {
    const base = { escalationId: 'e1', direction: 'toDesk' as const, kind: 'customer' as const, now: new Date() };
    await store.transcripts.append(newEntry({ ...base, text: 'one', sourceActivityId: 'a1' }));
    await store.transcripts.append(newEntry({ ...base, text: 'two', sourceActivityId: 'a2' }));
    await assert.rejects(store.transcripts.append(newEntry({ ...base, text: 'one again', sourceActivityId: 'a1' })), ConflictError);
    await store.transcripts.append(newEntry({ ...base, escalationId: 'other', text: 'elsewhere' }));
    assert.deepEqual((await store.transcripts.list('e1')).map((t) => t.text), ['one', 'two']);
  });

  it('escalations: the sweep\'s query finds those with unsettled events, last changed before a time', async () => {
    const created = await store.escalations.create({ ...escalation('u1'), updatedAt: '2026-01-01T00:00:00.000Z', unsettled: [{ type: 'started', id: 'u1|1|started', rev: 1, at: '2026-01-01T00:00:00.000Z' }] });
    await store.escalations.create({ ...escalation('u2'), updatedAt: '2026-01-01T00:00:00.000Z', unsettled: [] });
    await store.escalations.create({ ...escalation('u3'), updatedAt: '2030-01-01T00:00:00.000Z', unsettled: [{ type: 'started', id: 'u3|1|started', rev: 1, at: '2030-01-01T00:00:00.000Z' }] });
    const found = await store.escalations.unsettled('2027-01-01T00:00:00.000Z', 10);
    assert.deepEqual(found.map((v) => v.value.id), ['u1']);
    assert.equal(found[0].etag, created.etag);
    assert.equal('unsettledAt' in found[0].value, false, 'the index field is the store\'s, not the record\'s');
  });

  it('escalations: only a document with events waiting carries the field the sweep\'s query reads', async () => {
    const raw = async (id: string) => (await cosmos.client.database('test').container(containers.escalations.id).item(id, id).read()).resource as Record<string, unknown>;
    const waiting = await store.escalations.create({ ...escalation('s1'), updatedAt: '2026-01-02T00:00:00.000Z', unsettled: [{ type: 'started', id: 's1|1|started', rev: 1, at: '2026-01-02T00:00:00.000Z' }] });
    assert.equal((await raw('s1')).unsettledAt, '2026-01-02T00:00:00.000Z');
    const { unsettled, ...settled } = waiting.value;
    void unsettled;
    await store.escalations.replace(settled, waiting.etag);
    assert.equal('unsettledAt' in (await raw('s1')), false, 'a settled escalation is outside the query\'s index range');
    assert.deepEqual((await store.escalations.unsettled('2027-01-01T00:00:00.000Z', 10)).map((v) => v.value.id).filter((id) => id === 's1'), []);
    assert.deepEqual((await store.escalations.get('s1'))?.value, settled);
  });

  it('timers: due escalations soonest first (the query filters), a queue\'s waiting ones and its recent claim waits', async () => {
    const timers = await createCosmosStore(cosmos.client, { database: 'timers', retentionSeconds: 3600 });
    const make = (id: string, extra: Partial<Escalation>) => timers.escalations.create({ ...escalation(id), ...extra });
    await make('d1', { dueAt: '2026-12-07T09:05:00.000Z', queue: 'billing', createdAt: '2026-12-07T09:00:00.000Z' });
    await make('d2', { dueAt: '2026-12-07T09:01:00.000Z', queue: 'billing', createdAt: '2026-12-07T09:01:00.000Z' });
    await make('d3', { dueAt: '2026-12-07T10:00:00.000Z', queue: 'tech' });
    await make('old', { createdAt: '2026-12-07T08:00:00.000Z' }); // from before queues: the default queue
    await make('c1', { status: 'claimed', queue: 'billing', claimedAt: '2026-12-07T08:00:00.000Z', claimWaitSeconds: 90 });
    await make('c2', { status: 'claimed', queue: 'billing', claimedAt: '2026-12-01T08:00:00.000Z', claimWaitSeconds: 900 });
    const due = await timers.escalations.due('2026-12-07T09:30:00.000Z', 10);
    assert.deepEqual(due.map((v) => v.value.id), ['d2', 'd1']);
    assert.ok(due[0].etag);
    assert.deepEqual((await timers.escalations.due('2026-12-07T09:30:00.000Z', 1)).map((v) => v.value.id), ['d2']);
    assert.deepEqual((await timers.escalations.waiting('billing')).map((w) => w.id).sort(), ['d1', 'd2']);
    assert.deepEqual((await timers.escalations.waiting('default')).map((w) => w.id), ['old']);
    const of = (id: string, createdAt: string) => ({ id, createdAt });
    assert.equal(await timers.escalations.countWaiting('billing', of('d2', '2026-12-07T09:01:00.000Z')), 1, 'created before (not itself)');
    assert.equal(await timers.escalations.countWaiting('billing', of('d9', '2026-12-07T09:01:00.000Z')), 2, 'or in the same millisecond, with a smaller id');
    assert.equal(await timers.escalations.countWaiting('billing', of('d0', '2026-12-07T09:01:00.000Z')), 1, 'not with a larger one');
    assert.equal(await timers.escalations.countWaiting('default', of('x', '2030-01-01T00:00:00.000Z')), 1, 'older records: the default queue');
    assert.deepEqual(await timers.escalations.claimWaits('billing', '2026-12-05T09:00:00.000Z'), [90]);
  });

  it('transcripts: line facts for the conversation timers (newest agent line, the unanswered customer lines after it)', async () => {
    const at = (iso: string) => new Date(iso);
    const add = (kind: 'customer' | 'agent' | 'notice', iso: string) =>
      store.transcripts.append(newEntry({ escalationId: 'f1', direction: kind === 'customer' ? 'toDesk' : 'toCustomer', kind, text: kind, now: at(iso) }));
    assert.deepEqual(await store.transcripts.lineFacts('f1'), {});
    await add('customer', '2026-12-07T09:00:00Z');
    await add('agent', '2026-12-07T09:01:00Z');
    await add('customer', '2026-12-07T09:02:00Z');
    await add('notice', '2026-12-07T09:02:30Z');
    await add('customer', '2026-12-07T09:03:00Z');
    assert.deepEqual(await store.transcripts.lineFacts('f1'), { lastAgentAt: '2026-12-07T09:01:00.000Z', firstUnansweredAt: '2026-12-07T09:02:00.000Z' });
  });

  it('transcripts: a long unanswered stretch keeps its start (more customer lines than any window of newest lines)', async () => {
    for (const s of [store, createMemoryStore()]) {
      const add = (kind: 'customer' | 'agent', ms: number) =>
        s.transcripts.append(newEntry({ escalationId: 'f2', direction: kind === 'customer' ? 'toDesk' : 'toCustomer', kind, text: kind, now: new Date(Date.parse('2026-12-07T09:00:00Z') + ms) }));
      await add('agent', 0);
      for (let i = 1; i <= 60; i++) await add('customer', i * 1000);
      assert.deepEqual(await s.transcripts.lineFacts('f2'), { lastAgentAt: '2026-12-07T09:00:00.000Z', firstUnansweredAt: '2026-12-07T09:00:01.000Z' });
    }
  });

  it('transcripts: the newest customer or agent line\'s time; outbox items live apart from the transcript', async () => {
    const at = (iso: string) => new Date(iso);
    await store.transcripts.append(newEntry({ escalationId: 'l1', direction: 'toDesk', kind: 'customer', text: 'hi', now: at('2026-11-25T10:00:00Z') }));
    await store.transcripts.append(newEntry({ escalationId: 'l1', direction: 'toCustomer', kind: 'agent', text: 'hello', now: at('2026-11-25T10:01:00Z') }));
    await store.transcripts.append(newEntry({ escalationId: 'l1', direction: 'toCustomer', kind: 'notice', text: 'notice', now: at('2026-11-25T10:02:00Z') }));
    const card = await store.outbox.append(newCardItem('l1', 'l1|1|started', at('2026-11-25T10:03:00Z')));
    assert.equal(await store.transcripts.lastLineAt('l1'), '2026-11-25T10:01:00.000Z');
    assert.equal(await store.transcripts.lastLineAt('none'), undefined);
    assert.deepEqual((await store.transcripts.list('l1')).map((t) => t.kind), ['customer', 'agent', 'notice']);
    assert.equal((await store.outbox.get('l1', card.value.id))?.etag, card.etag);
    await assert.rejects(store.outbox.append(newCardItem('l1', 'l1|1|started', new Date())), ConflictError, 'an event\'s card is stored once');
  });

  it('reclaimable: pending entries whose lease expired (the query filters; live leases, its own included, are not returned), oldest first', async () => {
    const base = { escalationId: 'r1', direction: 'toCustomer' as const, kind: 'agent' as const, now: new Date() };
    const lease = (e: ReturnType<typeof newEntry>, owner: string, until: number) => ({ ...e, delivery: { ...e.delivery, leaseOwner: owner, leaseUntil: until } });
    const now = Date.now();
    // Made in order, stored in the reverse: the answer must come sorted by the lines' order, not by writing.
    const older = lease(newEntry({ ...base, text: 'expired' }), 'dead', now - 1);
    const newer = lease(newEntry({ ...base, text: 'expired later' }), 'dead', now - 1);
    await store.transcripts.append(newer);
    await store.transcripts.append(older);
    await store.transcripts.append(lease(newEntry({ ...base, text: 'live other' }), 'other', now + 60_000));
    await store.transcripts.append(lease(newEntry({ ...base, text: 'mine' }), 'me', now + 60_000));
    const done = newEntry({ ...base, text: 'done' });
    await store.transcripts.append({ ...done, delivery: { state: 'delivered', attempts: 1 } });
    const found = (await store.transcripts.reclaimable(now, 10)).map((v) => v.value.text).filter((t) => ['expired', 'expired later', 'live other', 'mine', 'done'].includes(t));
    assert.deepEqual(found, ['expired', 'expired later']);
  });

  it('leasedElsewhere: pending entries under another process\'s lease that still runs (not its own, not expired ones), oldest first', async () => {
    const base = { escalationId: 'r2', direction: 'toCustomer' as const, kind: 'agent' as const, now: new Date() };
    const lease = (e: ReturnType<typeof newEntry>, owner: string, until: number) => ({ ...e, delivery: { ...e.delivery, leaseOwner: owner, leaseUntil: until } });
    const now = Date.now();
    const older = lease(newEntry({ ...base, text: 'sending' }), 'other', now + 60_000);
    const newer = lease(newEntry({ ...base, text: 'sending later' }), 'third', now + 60_000);
    await store.transcripts.append(newer);
    await store.transcripts.append(older);
    await store.transcripts.append(lease(newEntry({ ...base, text: 'ran out' }), 'other', now - 1));
    await store.transcripts.append(lease(newEntry({ ...base, text: 'mine' }), 'me', now + 60_000));
    const done = lease(newEntry({ ...base, text: 'done' }), 'other', now + 60_000);
    await store.transcripts.append({ ...done, delivery: { ...done.delivery, state: 'delivered' } });
    const found = (await store.transcripts.leasedElsewhere('me', now, 10)).map((v) => v.value.text).filter((t) => ['sending', 'sending later', 'ran out', 'mine', 'done'].includes(t));
    assert.deepEqual(found, ['sending', 'sending later']);
  });

  it('a replace of a document that is gone (its TTL ran out) is a lost race, as in the in-memory store, not an outage', async () => {
    const containerOf = (id: string) => cosmos.client.database('test').container(id);
    const e = escalation('gone-1');
    const saved = await store.escalations.create(e);
    await containerOf('escalations').item('gone-1', 'gone-1').delete();
    await assert.rejects(store.escalations.replace({ ...e, rev: 1 }, saved.etag), ConcurrencyError);
    const lookup = await store.lookups.create('gone-key', 'gone-1');
    await containerOf('lookups').item('gone-key', 'gone-key').delete();
    await assert.rejects(store.lookups.replace('gone-key', 'gone-2', lookup.etag), ConcurrencyError);
    const line = newEntry({ escalationId: 'gone-1', direction: 'toCustomer', kind: 'agent', text: 'x', now: new Date() });
    const item = await store.transcripts.append(line);
    await containerOf('transcripts').item(line.id, 'gone-1').delete();
    await assert.rejects(store.transcripts.replace(line, item.etag), ConcurrencyError);
  });

  it('heartbeats list the instances, and the peers each has seen', async () => {
    const t0 = Date.now();
    await store.instances.heartbeat('node-1', 3000, t0);
    await store.instances.heartbeat('node-2', 3000, t0, { sees: ['node-1'], gone: true });
    await store.instances.heartbeat('node-1', 3000, t0 + 1000, { sees: ['node-2'] });
    const seen = (await store.instances.instances()).filter((i) => i.instance.startsWith('node-')).sort((x, y) => x.instance.localeCompare(y.instance));
    assert.deepEqual(seen, [{ instance: 'node-1', until: t0 + 4000, at: t0 + 1000, sees: ['node-2'], gone: false }, { instance: 'node-2', until: t0 + 3000, at: t0, sees: ['node-1'], gone: true }]);
  });

  it('lanes: created once, then changed only from the version last seen; stalled ones are found by a query', async () => {
    const entry = (id: string, seq: number) => ({ id, seq, at: 1 });
    const first = await store.lanes.put('lane-queue|x|toDesk', { holder: 'a', until: 5, queue: [entry('1', 1)], last: 1 });
    await assert.rejects(store.lanes.put('lane-queue|x|toDesk', { until: 0, queue: [] }), ConflictError);
    const second = await store.lanes.put('lane-queue|x|toDesk', { holder: 'a', until: 5, queue: [entry('1', 1), entry('2', 2)], last: 2, memo: { sent: [1] } }, first.etag);
    await assert.rejects(store.lanes.put('lane-queue|x|toDesk', { until: 0, queue: [] }, first.etag), ConcurrencyError);
    assert.deepEqual(await store.lanes.get('lane-queue|x|toDesk'), { value: { holder: 'a', until: 5, queue: [entry('1', 1), entry('2', 2)], last: 2, memo: { sent: [1] } }, etag: second.etag });
    assert.equal(await store.lanes.get('lane-queue|nothing|toDesk'), undefined);
    // Given back (empty) and held by a live holder: not stalled. Entries behind a lease that ran out: stalled.
    await store.lanes.put('lane-queue|y|toDesk', { until: 0, queue: [], last: 4 });
    await store.lanes.put('lane-queue|z|toDesk', { holder: 'b', until: 10_000, queue: [entry('3', 1)] });
    assert.deepEqual((await store.lanes.stalled(6, 10)).sort(), ['lane-queue|x|toDesk']);
    assert.deepEqual((await store.lanes.stalled(20_000, 10)).sort(), ['lane-queue|x|toDesk', 'lane-queue|z|toDesk']);
  });

  it('transcripts: a point read gives the ETag that a conditional update needs', async () => {
    const base = { escalationId: 'p1', kind: 'agent' as const, now: new Date() };
    const two = await store.transcripts.append(newEntry({ ...base, direction: 'toCustomer', text: 'two' }));
    const read = await store.transcripts.get('p1', two.value.id);
    assert.equal(read?.etag, two.etag);
    await store.transcripts.replace({ ...read!.value, delivery: { state: 'delivered', attempts: 1 } }, read!.etag);
    await assert.rejects(store.transcripts.replace(read!.value, read!.etag), ConcurrencyError);
    assert.equal(await store.transcripts.get('p1', 'missing'), undefined);
  });

  it('settings round-trip', async () => {
    await store.settings.put('k', { a: 1 });
    assert.deepEqual(await store.settings.get('k'), { a: 1 });
    assert.equal(await store.settings.get('nope'), undefined);
  });

  it('an unreachable server is a StoreUnavailableError, not a crash', async () => {
    const dead = await connectCosmos({ endpoint: 'https://127.0.0.1:1/', key: 'k', managedIdentity: false }, pino({ level: 'silent' }));
    await assert.rejects(createCosmosStore(dead.client, { database: 'x', retentionSeconds: 1 }), StoreUnavailableError);
  });
});
