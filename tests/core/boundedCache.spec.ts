import { strict as assert } from 'node:assert';
import { BoundedCache } from '../../src/core/boundedCache';

describe('BoundedCache', () => {
  it('holds at most twice its capacity, however many keys pass through', () => {
    const cache = new BoundedCache<number>(10);
    for (let i = 0; i < 1_000; i++) {
      cache.set(`k${i}`, i);
      assert.ok(cache.size < 20, `size ${cache.size} after ${i + 1} insertions`);
    }
  });

  it('keeps an entry while fewer than capacity other insertions follow it, like an LRU of that capacity', () => {
    // At every phase of the generations: the guarantee the remembered sends rely on.
    for (let offset = 0; offset < 10; offset++) {
      const cache = new BoundedCache<number>(10);
      for (let i = 0; i < offset; i++) cache.set(`before${i}`, i);
      cache.set('sent', 1);
      for (let i = 0; i < 9; i++) cache.set(`other${i}`, i);
      assert.equal(cache.get('sent'), 1, `forgotten after 9 others (offset ${offset})`);
    }
  });

  it('keeps an entry that is used lately, however many others pass through', () => {
    const cache = new BoundedCache<string>(10);
    cache.set('thread', 'escalation-1');
    for (let i = 0; i < 200; i++) {
      cache.set(`other${i}`, 'x');
      if (i % 4 === 0) assert.equal(cache.get('thread'), 'escalation-1', `lost after ${i + 1} others`);
    }
  });

  it('forgets an entry nobody asked for once twice capacity others came after it', () => {
    const cache = new BoundedCache<string>(10);
    cache.set('stale', 'v');
    for (let i = 0; i < 20; i++) cache.set(`other${i}`, 'x');
    assert.equal(cache.get('stale'), undefined);
  });

  it('counts a key once whichever generation holds it; set replaces, delete removes from both', () => {
    const cache = new BoundedCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2); // the young generation is full: a and b are now the old one
    cache.set('a', 3);
    assert.equal(cache.get('a'), 3);
    assert.equal(cache.size, 2);
    cache.delete('a');
    cache.delete('b');
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.size, 0);
  });
});
