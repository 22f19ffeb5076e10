import { strict as assert } from 'node:assert';
import { SlidingWindowLimiter } from '../../src/outbound/slidingWindowLimiter';
import { TeamsRateLimiter } from '../../src/outbound/teamsRateLimiter';
import { fakeClockPerTest, maxIn } from '../helpers/rateWindows';

describe('TeamsRateLimiter', () => {
  const fake = fakeClockPerTest();

  it('a call that waits for its conversation does not keep an old tenant slot: the tenant\'s window holds when it goes out', async () => {
    const limiter = new TeamsRateLimiter({ tenantRps: 7 });
    const sentAt: number[] = [];
    const inA: number[] = [];
    const call = (conversation: string) => limiter.schedule(conversation, 'tenant', async () => void (sentAt.push(Date.now()), conversation === 'A' && inA.push(Date.now())));
    // Six calls fill conversation A's 1 s window; the seventh waits for it (about a second).
    const calls = Array.from({ length: 7 }, () => call('A'));
    await fake().tickAsync(500);
    // Meanwhile seven calls in other conversations want the tenant's budget.
    for (let i = 1; i <= 7; i++) calls.push(call(`B${i}`));
    await fake().tickAsync(3_000);
    await Promise.all(calls);
    assert.equal(sentAt.length, 14);
    assert.ok(maxIn(sentAt, 1_000) <= 7, `at most 7 calls in any second (the tenant's budget), not ${maxIn(sentAt, 1_000)}`);
    assert.ok(maxIn(inA, 1_000) <= 6, 'and conversation A keeps its own window');
    await limiter.stop();
  });

  it('several calls waiting for one conversation take turns by the clock (no spinning), within both windows', async () => {
    const limiter = new TeamsRateLimiter({ tenantRps: 7 });
    const sentAt: number[] = [];
    const inA: number[] = [];
    const call = (conversation: string) => limiter.schedule(conversation, 'tenant', async () => void (sentAt.push(Date.now()), conversation === 'A' && inA.push(Date.now())));
    const calls = Array.from({ length: 14 }, () => call('A')); // eight wait for A's window at once
    for (let i = 1; i <= 5; i++) calls.push(call(`B${i}`));
    await fake().tickAsync(5_000);
    await Promise.all(calls);
    assert.equal(sentAt.length, 19);
    assert.ok(maxIn(inA, 1_000) <= 6 && maxIn(inA, 2_000) <= 7, 'A keeps its windows');
    assert.ok(maxIn(sentAt, 1_000) <= 7, 'the tenant keeps its budget');
    await limiter.stop();
  });

  it('a slot given back goes to the next waiter at once', async () => {
    const limiter = new SlidingWindowLimiter([{ limit: 1, ms: 10_000 }]);
    const at = limiter.tryTake('k')!;
    let served = false;
    const waiter = limiter.acquire('k').then(() => (served = true));
    await fake().tickAsync(0);
    assert.equal(served, false);
    limiter.giveBack('k', at);
    await fake().tickAsync(0);
    await waiter;
    assert.equal(served, true);
    limiter.stop();
  });
});
