/** Helpers of the rate-limit tests: the busiest window of a list of call times, and sinon's fake clock per test. */
import sinon from 'sinon';

/** The most calls in any window of `ms` (Teams counts calls as they arrive). */
export function maxIn(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/**
 * Installs sinon's fake clock before each test of the calling suite and restores it after: the limiters' waits are
 * exact, and the tests do not depend on the machine's load. `clock()` is the current test's.
 */
export function fakeClockPerTest(): () => sinon.SinonFakeTimers {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-11-25T10:00:00Z'), toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  });
  afterEach(() => clock.restore());
  return () => clock;
}
