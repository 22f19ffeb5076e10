/**
 * The one retry policy of the delivery room (cockatiel): exponential backoff with jitter for sends, honouring the
 * edge's Retry-After, and a shorter one for store writes. Waits go through `sleep`, so a long Retry-After is spent in
 * slices that renew the caller's lease.
 */
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
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
    return policy.execute(async () => {
      if (retryAfter > 0) {
        const ms = retryAfter;
        retryAfter = 0;
        await wait(ms);
      }
      try {
        return await attempt();
      } catch (err) {
        if (err instanceof DeliveryError && err.retryAfterMs && err.retryAfterMs > 0) retryAfter = Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS);
        throw err;
      }
    });
  };
}

const storePolicy = retry(handleWhen((err) => err instanceof StoreUnavailableError), {
  maxAttempts: 6,
  backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 2_000 }),
});

/** Store writes of the delivery room (delivered state, the thread's place): retried while the store is unavailable. */
export function withStoreRetry<T>(op: () => Promise<T>): Promise<T> {
  return storePolicy.execute(op);
}
