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
