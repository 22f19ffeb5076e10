import { strict as assert } from 'node:assert';
import { ConcurrencyError } from '../../src/core/errors';
import type { DeliveryItemStore } from '../../src/core/ports';
import type { OutboxItem } from '../../src/core/transcript';
import { ItemLeases } from '../../src/delivery/itemLeases';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { toCustomer } from '../helpers/relays';

describe('an item\'s own lease', () => {
  const leaseMs = 1_000;
  let now = 10_000;
  const setup = async () => {
    const store = createMemoryStore();
    const items = store.transcripts as unknown as DeliveryItemStore<OutboxItem>;
    const line = toCustomer('hello');
    line.delivery = { ...line.delivery, leaseOwner: 'dead', leaseUntil: now - 1 };
    const saved = await items.append(line);
    const leasesOf = (me: string) => new ItemLeases(() => items, me, leaseMs, () => now);
    return { store, job: { item: saved.value, etag: saved.etag }, a: leasesOf('a'), b: leasesOf('b') };
  };

  it('is taken by one process only: a second taker with the same version gets nothing', async () => {
    const { store, job, a, b } = await setup();
    const taken = await a.take(job);
    assert.deepEqual([taken?.item.delivery.leaseOwner, taken?.item.delivery.leaseUntil], ['a', now + leaseMs]);
    assert.equal(await b.take(job), undefined);
    assert.equal((await store.transcripts.get('e', job.item.id))?.value.delivery.leaseOwner, 'a');
  });

  it('is renewed only when it runs low, and is lost once another process has taken it', async () => {
    const { job, a, b } = await setup();
    const held = (await a.take(job))!;
    const etag = held.etag;
    assert.equal(await a.keep(held), true);
    assert.equal(held.etag, etag, 'plenty left: no write');
    now += leaseMs * 0.6;
    assert.equal(await a.keep(held), true);
    assert.notEqual(held.etag, etag, 'renewed');
    now += leaseMs * 2;
    assert.ok(await b.take({ ...held }));
    assert.equal(await a.keep(held), false);
  });

  it('two asks while it runs low (the fence and the renewal timer) share one renewal: neither loses it', async () => {
    const { store, job, a } = await setup();
    const held = (await a.take(job))!;
    now += leaseMs * 0.6;
    const writes: Array<string | undefined> = [];
    const replace = store.transcripts.replace.bind(store.transcripts);
    store.transcripts.replace = async (item, etag) => (writes.push(etag), replace(item, etag));
    assert.deepEqual(await Promise.all([a.keep(held), a.keep(held)]), [true, true]);
    assert.equal(writes.length, 1);
    assert.equal(await a.keep(held), true, 'renewed: plenty left again');
  });

  it('a split line\'s progress is stored in turn with a renewal under way: neither write undoes the other', async () => {
    const { store, job, a } = await setup();
    const held = (await a.take(job))!;
    now += leaseMs * 0.6;
    const renewal = a.keep(held); // the renewal timer's, still writing
    const noted = a.noteParts(held, 2);
    const renewedAgain = a.keep(held); // the fence's ask during the progress write shares it
    assert.deepEqual([await renewal, await renewedAgain], [true, true]);
    await noted;
    const stored = (await store.transcripts.get('e', job.item.id))!.value.delivery;
    assert.deepEqual([stored.partsSent, stored.leaseOwner, stored.leaseUntil], [2, 'a', now + leaseMs]);
    assert.equal(held.item.delivery.partsSent, 2, 'the job holds the stored version');
  });

  it('is given up at once (another process may take it now); a changed item is left as it is', async () => {
    const { store, job, a, b } = await setup();
    const held = (await a.take(job))!;
    const stale = { ...held };
    await a.release(held);
    assert.equal((await store.transcripts.get('e', job.item.id))?.value.delivery.leaseUntil, 0);
    const taken = await b.take(held);
    assert.equal(taken?.item.delivery.leaseOwner, 'b');
    await a.release(stale); // an older version: no write, no error
    assert.equal((await store.transcripts.get('e', job.item.id))?.value.delivery.leaseOwner, 'b');
  });

  it('a renewal that landed but whose answer was lost (a reset, then a version conflict on the repeat) is kept, not lost', async () => {
    const { store, job, a, b } = await setup();
    const held = (await a.take(job))!;
    now += leaseMs * 0.6;
    const replace = store.transcripts.replace.bind(store.transcripts);
    let answered = false;
    store.transcripts.replace = async (item, etag) => {
      if (answered) return replace(item, etag);
      answered = true;
      await replace(item, etag); // committed…
      throw new ConcurrencyError('outbox item'); // …but the repeat after the lost answer finds the version changed
    };
    assert.equal(await a.keep(held), true);
    assert.equal(held.item.delivery.leaseUntil, now + leaseMs);
    assert.equal(await b.take({ ...job }), undefined, 'still this process\'s');
    store.transcripts.replace = replace;
    now += leaseMs * 0.6;
    assert.equal(await a.keep(held), true, 'the job holds the stored version: the next renewal writes on it');
  });

  it('a conflict from another process\'s write is still a lost lease', async () => {
    const { job, a, b } = await setup();
    const held = (await a.take(job))!;
    now += leaseMs * 2;
    assert.ok(await b.take({ ...held }));
    assert.equal(await a.keep(held), false);
  });
});
