import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryStore, frozenCopy } from '../../../src/store/memory/memoryStore';
import { ConcurrencyError } from '../../../src/core/errors';
import { newEntry } from '../../../src/core/transcript';

describe('in-memory store', () => {
  it('stores what a JSON round trip would (what Cosmos gives back), frozen all the way down', () => {
    const at = new Date('2026-12-01T10:00:00.000Z');
    const value = { a: 1, b: undefined, c: [1, undefined, () => 1, Number.NaN, { d: at }], e: { f: Infinity, g: 'x', h: null, i: true }, fn: () => 2 };
    const copy = frozenCopy(value) as any;
    assert.deepEqual(copy, JSON.parse(JSON.stringify(value)));
    assert.ok(Object.isFrozen(copy) && Object.isFrozen(copy.c) && Object.isFrozen(copy.c[4]) && Object.isFrozen(copy.e));
    assert.throws(() => {
      copy.e.g = 'y';
    }, TypeError);
    assert.equal(value.e.g, 'x');
  });

  it('keeps a copy of its own: a caller changing what it wrote changes nothing stored; versions differ per write', async () => {
    const store = createMemoryStore();
    const entry = newEntry({ escalationId: 'e1', direction: 'toCustomer', kind: 'agent', text: 'one', now: new Date() });
    const first = await store.transcripts.append(entry);
    entry.text = 'two';
    assert.equal((await store.transcripts.get('e1', entry.id))?.value.text, 'one');
    const second = await store.transcripts.replace({ ...first.value, text: 'three' }, first.etag);
    assert.notEqual(second.etag, first.etag);
    await assert.rejects(store.transcripts.replace({ ...first.value, text: 'four' }, first.etag), ConcurrencyError);
    assert.equal((await store.transcripts.get('e1', entry.id))?.value.text, 'three');
  });

  it('shares the frozen parts of a stored row in the next version of it, and copies only what is new', async () => {
    const store = createMemoryStore();
    const entry = newEntry({ escalationId: 'e1', direction: 'toCustomer', kind: 'agent', author: { id: 'a1', name: 'Ann' }, text: 'one', now: new Date() });
    const first = await store.transcripts.append(entry);
    assert.notEqual(first.value.author, entry.author); // the caller's object is copied
    const delivery = { ...first.value.delivery, state: 'delivered' as const };
    const second = await store.transcripts.replace({ ...first.value, delivery }, first.etag);
    assert.equal(second.value.author, first.value.author); // already stored (frozen): shared, not copied again
    assert.notEqual(second.value.delivery, delivery);
    assert.ok(Object.isFrozen(second.value.delivery));
    delivery.state = 'failed' as never;
    assert.equal((await store.transcripts.get('e1', entry.id))?.value.delivery.state, 'delivered');
  });

  it('no other code freezes what could be stored: a frozen object is taken as one this store made', () => {
    // frozenCopy shares frozen objects as they are, without JSON's normalisation. The one other freeze in the service
    // is the service-URL verdict, which is never stored.
    const src = join(__dirname, '..', '..', '..', '..', 'src');
    const freezing = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && readFileSync(join(src, f), 'utf8').includes('Object.freeze('))
      .map((f) => f.split('\\').join('/'))
      .sort();
    assert.deepEqual(freezing, ['outbound/serviceUrlPolicy.ts', 'store/memory/memoryStore.ts']);
  });
});
