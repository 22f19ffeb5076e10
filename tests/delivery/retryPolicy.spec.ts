import { strict as assert } from 'node:assert';
import { StoreUnavailableError } from '../../src/core/errors';
import { DeliveryError, LeaseLostError } from '../../src/delivery/deliveryError';
import { sendRetry, withStoreRetry } from '../../src/delivery/retryPolicy';

/** An operation that fails with `failures` in turn, then answers `done`; it counts its calls. */
function scripted(failures: unknown[], options: { syncThrow?: boolean } = {}) {
  const op = () => {
    op.calls += 1;
    const failure = failures.shift();
    if (failure === undefined) return Promise.resolve('done');
    if (options.syncThrow) throw failure;
    return Promise.reject(failure);
  };
  op.calls = 0;
  return op;
}

// The first attempt runs outside cockatiel's policy (retryPolicy.ts): these hold that the policy still decides the rest.
describe('the delivery retry policy', () => {
  const retry = sendRetry({ retries: 3, minDelayMs: 1, maxDelayMs: 2 });
  const noWait = async () => undefined;

  it('a first success is the only attempt', async () => {
    const op = scripted([]);
    assert.equal(await retry(op, noWait), 'done');
    assert.equal(op.calls, 1);
  });

  it('retries a transient failure, the first one included, up to the attempts it is given after the first', async () => {
    const ok = scripted([new DeliveryError('busy', { status: 503 }), new DeliveryError('reset')]);
    assert.equal(await retry(ok, noWait), 'done');
    assert.equal(ok.calls, 3);
    const down = scripted([1, 2, 3, 4, 5].map((n) => new DeliveryError(`down ${n}`, { status: 503 })));
    await assert.rejects(retry(down, noWait), /down 4/);
    assert.equal(down.calls, 4); // the first attempt and 3 retries
  });

  it('never retries what no retry can fix, nor a lost lease', async () => {
    for (const failure of [new DeliveryError('forbidden', { status: 403, retryable: false }), new LeaseLostError('item x')]) {
      const op = scripted([failure, failure]);
      await assert.rejects(retry(op, noWait), (err) => err === failure);
      assert.equal(op.calls, 1);
    }
  });

  it("spends the first failure's Retry-After before the next attempt, once", async () => {
    const steps: string[] = [];
    const op = scripted([new DeliveryError('throttled', { status: 429, retryAfterMs: 700 }), new DeliveryError('reset')]);
    const attempt = () => (steps.push('attempt'), op());
    assert.equal(await retry(attempt, async (ms) => void steps.push(`wait ${ms}`)), 'done');
    assert.deepEqual(steps, ['attempt', 'wait 700', 'attempt', 'attempt']);
  });

  it('store writes: retried while the store is unavailable, a synchronous throw too; any other error at once', async () => {
    const flaky = scripted([new StoreUnavailableError('down'), new StoreUnavailableError('down')], { syncThrow: true });
    assert.equal(await withStoreRetry(flaky), 'done');
    assert.equal(flaky.calls, 3);
    const conflict = new Error('conflict');
    const failing = scripted([conflict]);
    await assert.rejects(withStoreRetry(failing), (err) => err === conflict);
    assert.equal(failing.calls, 1);
  });
});
