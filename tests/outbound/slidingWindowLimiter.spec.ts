import { strict as assert } from 'node:assert';
import { SlidingWindowLimiter } from '../../src/outbound/slidingWindowLimiter';
import { fakeClockPerTest, maxIn } from '../helpers/rateWindows';

describe('SlidingWindowLimiter', () => {
  const fake = fakeClockPerTest();

  it('tryAcquire takes a free slot at once, refuses a full window, and waiters keep their order', async () => {
    const limiter = new SlidingWindowLimiter([{ limit: 2, ms: 100 }]);
    assert.equal(limiter.tryAcquire('k'), true);
    assert.equal(limiter.tryAcquire('k'), true);
    assert.equal(limiter.tryAcquire('k'), false, 'the window is full');
    const order: string[] = [];
    const waiter = limiter.acquire('k').then(() => order.push('waiter'));
    await fake().tickAsync(101); // a slot is free again, and the waiter's timer takes it
    assert.equal(limiter.tryAcquire('k'), true, 'the second slot, the waiter having had the first');
    await waiter;
    assert.deepEqual(order, ['waiter']);
    assert.equal(limiter.tryAcquire('k'), false);
    const queued = limiter.acquire('k').then(() => order.push('queued'));
    await fake().tickAsync(50); // still full: queued waits
    assert.equal(limiter.tryAcquire('k'), false, 'still full, and a waiter is queued');
    await fake().tickAsync(100);
    await queued;
    assert.deepEqual(order, ['waiter', 'queued']);
    limiter.stop();
  });

  it('never exceeds any window, serves in order, and runs at the allowed pace', async () => {
    const limiter = new SlidingWindowLimiter([
      { limit: 3, ms: 100 },
      { limit: 4, ms: 200 },
    ]);
    const grants: Array<{ i: number; at: number }> = [];
    const start = Date.now();
    const all = Promise.all(Array.from({ length: 12 }, (_, i) => limiter.acquire('k').then(() => grants.push({ i, at: Date.now() }))));
    await fake().tickAsync(1_000);
    await all;
    const times = grants.map((g) => g.at);
    assert.deepEqual(grants.map((g) => g.i), Array.from({ length: 12 }, (_, i) => i));
    assert.ok(maxIn(times, 100) <= 3, `${maxIn(times, 100)} in 100 ms`);
    assert.ok(maxIn(times, 200) <= 4, `${maxIn(times, 200)} in 200 ms`);
    // 12 grants at 4 per 200 ms and 3 per 100 ms: the last can come no earlier than 400 ms, and need not wait 600.
    const took = times[11] - start;
    limiter.stop();
    assert.ok(took >= 400 && took < 600, `took ${took} ms`);
  });

  it('keys are independent, and an idle key is forgotten', async () => {
    const limiter = new SlidingWindowLimiter([{ limit: 1, ms: 50 }]);
    const t0 = Date.now();
    await Promise.all([limiter.acquire('a'), limiter.acquire('b')]);
    assert.equal(Date.now() - t0, 0, 'different keys do not wait for each other');
    assert.equal(limiter.size, 2);
    await fake().tickAsync(60);
    await limiter.acquire('c');
    limiter.prune();
    assert.equal(limiter.size, 1, 'a and b went quiet longer than the window: forgotten');
    limiter.stop();
  });

  it('adopts calls made elsewhere (another instance) and counts each once', async () => {
    const limiter = new SlidingWindowLimiter([{ limit: 3, ms: 200 }]);
    const now = Date.now();
    limiter.adopt('k', [now - 50, now - 10_000]);
    assert.deepEqual(limiter.recent('k', 200), [now - 50], 'times outside every window dropped');
    limiter.adopt('k', [now - 50, now - 40]);
    assert.deepEqual(limiter.recent('k', 200), [now - 50, now - 40], 'a known call is not counted twice');
    await limiter.acquire('k'); // the third slot is free
    const t0 = Date.now();
    let granted = 0;
    const fourth = limiter.acquire('k').then(() => (granted = Date.now())); // waits until the adopted calls leave the window
    await fake().tickAsync(500);
    await fourth;
    assert.ok(granted - t0 >= 150, `waited ${granted - t0} ms`);
    limiter.stop();
  });

  it('adopts two calls made in the same millisecond as two, and a list it already knows as nothing more', () => {
    const limiter = new SlidingWindowLimiter([{ limit: 5, ms: 1_000 }]);
    const now = Date.now();
    limiter.adopt('k', [now - 20, now - 20, now - 10]);
    assert.deepEqual(limiter.recent('k', 1_000), [now - 20, now - 20, now - 10]);
    limiter.adopt('k', limiter.recent('k', 1_000)); // its own history handed back (a lane's memo it wrote)
    assert.deepEqual(limiter.recent('k', 1_000), [now - 20, now - 20, now - 10]);
    limiter.adopt('k', [now - 20, now - 20, now - 20]); // another instance's third call in that millisecond
    assert.deepEqual(limiter.recent('k', 1_000), [now - 20, now - 20, now - 20, now - 10]);
    limiter.stop();
  });

  it('new limits apply to waiters already queued', async () => {
    const limiter = new SlidingWindowLimiter([{ limit: 1, ms: 10_000 }]);
    await limiter.acquire('k');
    let served = false;
    const second = limiter.acquire('k').then(() => (served = true));
    limiter.setLimits([2]);
    await fake().tickAsync(0);
    await second;
    assert.equal(served, true, 'raised limit served the waiter at once, without waiting for the window');
    limiter.stop();
  });
});
