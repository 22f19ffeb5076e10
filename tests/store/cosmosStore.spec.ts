import { strict as assert } from 'node:assert';
import pino from 'pino';
import type { Escalation } from '../../src/core/escalation';
import { ConcurrencyError, ConflictError, StoreUnavailableError } from '../../src/core/errors';
import type { HandoverStore } from '../../src/core/ports';
import { newEntry } from '../../src/core/transcript';
import { connectCosmos, type CosmosConnection } from '../../src/store/cosmos/cosmosClient';
import { containers, createCosmosStore } from '../../src/store/cosmos/cosmosStore';

function escalation(id: string): Escalation {
  const at = new Date().toISOString();
  return {
    id,
    status: 'queued',
    customer: { conversationId: `conv-${id}`, userId: 'u', channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/teams/', botId: 'b' },
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

  it('transcripts: a repeated activity id is a ConflictError; listing is in intake order', async () => {
    const base = { escalationId: 'e1', direction: 'toDesk' as const, kind: 'customer' as const, now: new Date().toISOString() };
    await store.transcripts.append(newEntry({ ...base, text: 'one', sourceActivityId: 'a1' }));
    await store.transcripts.append(newEntry({ ...base, text: 'two', sourceActivityId: 'a2' }));
    await assert.rejects(store.transcripts.append(newEntry({ ...base, text: 'one again', sourceActivityId: 'a1' })), ConflictError);
    await store.transcripts.append(newEntry({ ...base, escalationId: 'other', text: 'elsewhere' }));
    assert.deepEqual((await store.transcripts.list('e1')).map((t) => t.text), ['one', 'two']);
  });

  it('leases: one holder until expiry, then the next', async () => {
    const t0 = Date.now();
    assert.equal(Boolean(await store.leases.tryAcquire('lane|x', 'a', 1000, t0)), true);
    assert.equal(Boolean(await store.leases.tryAcquire('lane|x', 'b', 1000, t0 + 10)), false);
    assert.equal(Boolean(await store.leases.tryAcquire('lane|x', 'a', 1000, t0 + 20)), true, 'the holder renews');
    assert.equal(Boolean(await store.leases.tryAcquire('lane|x', 'b', 1000, t0 + 2000)), true, 'expired: another takes it');
    const racers = await Promise.all(['c', 'd', 'e', 'f'].map((o) => store.leases.tryAcquire('lane|y', o, 1000)));
    assert.equal(racers.filter(Boolean).length, 1, 'concurrent acquirers: exactly one wins');
  });

  it('reclaimable: pending entries whose lease expired or is the asker\'s own, oldest first', async () => {
    const base = { escalationId: 'r1', direction: 'toCustomer' as const, kind: 'agent' as const, now: new Date().toISOString() };
    const lease = (e: ReturnType<typeof newEntry>, owner: string, until: number) => ({ ...e, delivery: { ...e.delivery, leaseOwner: owner, leaseUntil: until } });
    const now = Date.now();
    await store.transcripts.append(lease(newEntry({ ...base, text: 'expired' }), 'dead', now - 1));
    await store.transcripts.append(lease(newEntry({ ...base, text: 'live other' }), 'other', now + 60_000));
    await store.transcripts.append(lease(newEntry({ ...base, text: 'mine' }), 'me', now + 60_000));
    const done = newEntry({ ...base, text: 'done' });
    await store.transcripts.append({ ...done, delivery: { state: 'delivered', attempts: 1 } });
    const found = (await store.transcripts.reclaimable('me', now, 10)).map((v) => v.value.text).filter((t) => ['expired', 'live other', 'mine', 'done'].includes(t));
    assert.deepEqual(found, ['expired', 'mine']);
  });

  it('leases: release frees only the holder\'s lease; heartbeats list the instances', async () => {
    assert.equal(Boolean(await store.leases.tryAcquire('lane|z', 'a', 60_000)), true);
    await store.leases.release('lane|z', 'b');
    assert.equal(Boolean(await store.leases.tryAcquire('lane|z', 'b', 60_000)), false, 'a non-holder cannot release');
    await store.leases.release('lane|z', 'a');
    assert.equal(Boolean(await store.leases.tryAcquire('lane|z', 'b', 60_000)), true, 'released: the next takes it at once');
    await store.leases.release('lane|z', 'b', { sent: [1, 2] });
    assert.deepEqual(await store.leases.tryAcquire('lane|z', 'c', 60_000), { memo: { sent: [1, 2] } }, 'the next holder gets what the last one left');
    assert.deepEqual(await store.leases.tryAcquire('lane|z', 'c', 60_000), { memo: { sent: [1, 2] } }, 'renewing keeps it');
    await store.leases.release('lane|z', 'd', { sent: [9] });
    assert.equal(Boolean(await store.leases.tryAcquire('lane|z', 'd', 60_000)), false, 'another instance cannot free it');
    const t0 = Date.now();
    await store.leases.heartbeat('node-1', 3000, t0);
    await store.leases.heartbeat('node-2', 3000, t0);
    await store.leases.heartbeat('node-1', 3000, t0 + 1000);
    const seen = (await store.leases.instances()).filter((i) => i.instance.startsWith('node-')).sort((x, y) => x.instance.localeCompare(y.instance));
    assert.deepEqual(seen, [{ instance: 'node-1', until: t0 + 4000 }, { instance: 'node-2', until: t0 + 3000 }]);
  });

  it('lanes: created once, then changed only from the version last seen', async () => {
    const first = await store.lanes.put('lane-queue|x|toDesk', { holder: 'a', until: 5, queue: ['1'] });
    await assert.rejects(store.lanes.put('lane-queue|x|toDesk', { until: 0, queue: [] }), ConflictError);
    const second = await store.lanes.put('lane-queue|x|toDesk', { holder: 'a', until: 5, queue: ['1', '2'], memo: { sent: [1] } }, first.etag);
    await assert.rejects(store.lanes.put('lane-queue|x|toDesk', { until: 0, queue: [] }, first.etag), ConcurrencyError);
    assert.deepEqual(await store.lanes.get('lane-queue|x|toDesk'), { value: { holder: 'a', until: 5, queue: ['1', '2'], memo: { sent: [1] } }, etag: second.etag });
    assert.equal(await store.lanes.get('lane-queue|nothing|toDesk'), undefined);
  });

  it('transcripts: a point read gives the ETag that a conditional update needs', async () => {
    const base = { escalationId: 'p1', kind: 'agent' as const, now: new Date().toISOString() };
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
