/** Maps Cosmos DB status codes to the core's errors. */
import { ConcurrencyError, ConflictError, StoreUnavailableError } from '../../core/errors';

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** 404 → undefined (a point read that found nothing); 409/412 → typed; the rest → StoreUnavailableError. */
export function mapCosmosError(err: unknown, what: string): never {
  const status = statusOf(err);
  if (status === 412) throw new ConcurrencyError(what);
  if (status === 409) throw new ConflictError(what);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  throw new StoreUnavailableError(`Cosmos DB failed on ${what}${status ? ` (HTTP ${status})` : ''}: ${message}`, err);
}

/**
 * A replace of a document that is gone (its TTL ran out meanwhile): the version the caller holds no longer exists,
 * so it is the conflict a changed version would be (as the in-memory store says), not an outage.
 */
export function mapReplaceError(err: unknown, what: string): never {
  if (statusOf(err) === 404) throw new ConcurrencyError(what);
  return mapCosmosError(err, what);
}

/** Statuses where Cosmos did not apply the request, so repeating it is safe even for a create. */
const TRANSIENT = new Set([449, 503]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

function transient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return TRANSIENT.has(status);
  const code = (err as { code?: unknown; cause?: { code?: unknown } })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' && NETWORK.has(code);
}

/**
 * Repeats an operation on transient failures (Cosmos 449/503, connection refused or reset), a few times with
 * jittered backoff. Throttling (429) is already retried inside the Cosmos SDK.
 */
export async function withTransientRetry<T>(op: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (i >= attempts || !transient(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** i) * (0.5 + Math.random())));
    }
  }
}
