/**
 * The one retry policy of the delivery room (cockatiel): exponential backoff with jitter for sends, honouring the
 * edge's Retry-After, and a shorter one for store writes. Waits go through `sleep`, so a long Retry-After is spent in
 * slices that renew the caller's lease.
 */
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { StoreUnavailableError } from '../core/errors';
import { DeliveryError, LeaseLostError } from './deliveryError';

export interface RetrySettings {
  /** Attempts after the first before a delivery is reported failed. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** Longest Retry-After honoured; longer asks are capped (the line is retried then). */
const MAX_RETRY_AFTER_MS = 60_000;

/** A send's retry policy, built once per settings (a policy holds no state of its own between runs). */
export type SendRetry = <T>(attempt: () => Promise<T>, wait: (ms: number) => Promise<void>) => Promise<T>;

/**
 * Runs `attempt` until it succeeds, a failure no retry can fix, or the attempts run out. Before an attempt that
 * follows a Retry-After, `wait(ms)` spends that time (renewing a lease meanwhile).
 */
export function sendRetry(settings: RetrySettings): SendRetry {
  const policy = retry(
    handleWhen((err) => !(err instanceof LeaseLostError) && (!(err instanceof DeliveryError) || err.retryable)),
    { maxAttempts: settings.retries, backoff: new ExponentialBackoff({ initialDelay: settings.minDelayMs, maxDelay: settings.maxDelayMs }) },
  );
  return (attempt, wait) => {
    let retryAfter = 0;
    const noteRetryAfter = (err: unknown) => {
      if (err instanceof DeliveryError && err.retryAfterMs && err.retryAfterMs > 0) retryAfter = Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS);
    };
    const again = async () => {
      if (retryAfter > 0) {
        const ms = retryAfter;
        retryAfter = 0;
        await wait(ms);
      }
      try {
        return await attempt();
      } catch (err) {
        noteRetryAfter(err);
        throw err;
      }
    };
    return afterFirstFailure(policy, attempt, again, noteRetryAfter);
  };
}

const storePolicy = retry(handleWhen((err) => err instanceof StoreUnavailableError), {
  maxAttempts: 6,
  backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 2_000 }),
});

/** Store writes of the delivery room (delivered state, the thread's place): retried while the store is unavailable. */
export function withStoreRetry<T>(op: () => Promise<T>): Promise<T> {
  return afterFirstFailure(storePolicy, op, op);
}

/**
 * The first attempt runs outside the policy, which takes over only when it fails: a policy run costs about eight
 * promises, and nearly every send and store write succeeds at once (docs/BENCHMARKS.md, fifth session). The policy is
 * handed that first failure as its own first attempt, so its backoff, its attempt count and what it retries stay as
 * configured.
 */
function afterFirstFailure<T>(policy: RetryPolicy, first: () => Promise<T>, again: () => Promise<T>, onFailure?: (err: unknown) => void): Promise<T> {
  let attempt: Promise<T>;
  try {
    attempt = first();
  } catch (err) {
    attempt = Promise.reject(err);
  }
  return attempt.catch((failure: unknown) => {
    onFailure?.(failure);
    let replay = true;
    return policy.execute(() => {
      if (!replay) return again();
      replay = false;
      return Promise.reject(failure);
    });
  });
}
