/** Errors of the outbound edges as the delivery room understands them; the edges decide what a status means. */
import { CodedError } from '../core/errors';

/** A delivery to the customer or the desk failed. */
export class DeliveryError extends CodedError {
  readonly code = 'delivery_failed';
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** Another attempt may succeed (the edge says so: Teams asks to retry 429, 412, 502, 503, 504; network errors). */
  readonly retryable: boolean;
  /** The other side cannot be reached any more (Teams: the app was removed, the chat is gone): shown on the card. */
  readonly unreachable: boolean;

  constructor(message: string, details: { status?: number; retryAfterMs?: number; retryable?: boolean; unreachable?: boolean } = {}) {
    super(message);
    this.name = 'DeliveryError';
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.retryable = details.retryable ?? true;
    this.unreachable = details.unreachable ?? false;
  }
}

/** The process lost its lease on a lane or item while waiting (rate limiter, Retry-After): it must not send. */
export class LeaseLostError extends CodedError {
  readonly code = 'lease_lost';
  constructor(what: string) {
    super(`lease on ${what} lost`);
    this.name = 'LeaseLostError';
  }
}

export function describe(err: unknown): string {
  if (err instanceof DeliveryError) return err.status ? `HTTP ${err.status}: ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
