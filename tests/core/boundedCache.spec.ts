import { strict as assert } from 'node:assert';
import { BoundedCache } from '../../src/core/boundedCache';

describe('BoundedCache', () => {
  it('never holds more than its capacity', () => {
    const cache = new BoundedCache<number>(10);
    for (let i = 0; i < 1_000; i++) {
      cache.set(`k${i}`, i);
      assert.ok(cache.size <= 10, `size ${cache.size} after ${i + 1} insertions`);
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

  it('forgets an entry nobody asked for once capacity others came after it', () => {
    const cache = new BoundedCache<string>(10);
    cache.set('stale', 'v');
    for (let i = 0; i < 10; i++) cache.set(`other${i}`, 'x');
    assert.equal(cache.get('stale'), undefined);
  });

  it('counts a key once whichever generation holds it; set replaces, delete removes from both', () => {
    const cache = new BoundedCache<number>(4);
    cache.set('a', 1);
    cache.set('b', 2); // the young generation is half full: a and b are now the old one
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
