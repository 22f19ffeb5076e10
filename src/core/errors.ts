/** Errors the core and its ports share; edges map them to HTTP statuses and user-facing text. */

/** A conditional write lost a race (HTTP 412 from Cosmos). Re-read and re-apply. */
export class ConcurrencyError extends Error {
  constructor(what: string) {
    super(`concurrent update of ${what}`);
    this.name = 'ConcurrencyError';
  }
}

/** A create found the id taken (HTTP 409 from Cosmos). */
export class ConflictError extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'ConflictError';
  }
}

/** The store cannot be reached or keeps failing: the edge answers 503 so the caller may retry. */
export class StoreUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** A delivery to the customer or the desk failed; `status` is the HTTP status, undefined for network errors. */
export class DeliveryError extends Error {
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** Set for failures no retry can fix (a service URL outside the allow-list). */
  readonly permanent: boolean;

  constructor(message: string, details: { status?: number; retryAfterMs?: number; permanent?: boolean } = {}) {
    super(message);
    this.name = 'DeliveryError';
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.permanent = details.permanent ?? false;
  }

  /** Teams asks to retry 429, 412, 502, 503, 504; network errors are retried too. 403/404 are final. */
  get retryable(): boolean {
    if (this.permanent) return false;
    return this.status === undefined || [412, 429, 500, 502, 503, 504].includes(this.status);
  }
}

/** An escalation, customer conversation or desk thread we do not know. */
export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}
