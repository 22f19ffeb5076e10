/**
 * The error catalogue: every error the service raises on purpose has a code. The HTTP edge maps codes to statuses in
 * one place (http/errorResponse.ts); anything without a code is a bug and answers 500, logged with its stack.
 */

export type ErrorCode =
  | 'concurrent_update'
  | 'already_exists'
  | 'store_unavailable'
  | 'not_found'
  | 'bad_request'
  | 'delivery_failed'
  | 'lease_lost'
  | 'already_claimed'
  | 'not_owner'
  | 'closed'
  | 'not_claimed'
  | 'same_place'
  | 'moved'
  | 'unknown_queue'
  | 'file_refused';

export abstract class CodedError extends Error {
  abstract readonly code: ErrorCode;
  /** What the caller is told, when the edge's general reason for the code is not what happened. */
  readonly reason?: string;
}

/** A conditional write lost a race (HTTP 412 from Cosmos). Re-read and re-apply. */
export class ConcurrencyError extends CodedError {
  readonly code = 'concurrent_update';
  constructor(what: string) {
    super(`concurrent update of ${what}`);
    this.name = 'ConcurrencyError';
  }
}

/** A create found the id taken (HTTP 409 from Cosmos). */
export class ConflictError extends CodedError {
  readonly code = 'already_exists';
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'ConflictError';
  }
}

/** The store cannot be reached or keeps failing: the edge answers 503 so the caller may retry. */
export class StoreUnavailableError extends CodedError {
  readonly code = 'store_unavailable';
  /** `reason`: e.g. a file that could not be read, where the edge's general reason says a message was not stored. */
  constructor(message: string, override readonly cause?: unknown, override readonly reason?: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** An escalation, customer conversation or desk thread we do not know. */
export class NotFoundError extends CodedError {
  readonly code = 'not_found';
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

/** Input that does not have the shape it must have; the reason is safe to show the caller. */
export class BadInputError extends CodedError {
  readonly code = 'bad_request';
  constructor(reason: string) {
    super(reason);
    this.name = 'BadInputError';
  }
}

export function codeOf(err: unknown): ErrorCode | undefined {
  return err instanceof CodedError ? err.code : undefined;
}

/** A transfer to a queue that is not configured. */
export class UnknownQueueError extends CodedError {
  readonly code = 'unknown_queue' as const;
  constructor(queue: string) {
    super(`there is no queue "${queue}"`);
    this.name = 'UnknownQueueError';
  }
}

/** A file that is not passed on (not an image by its bytes, too large, not downloadable): the sender is told. */
export class FileRefusedError extends CodedError {
  readonly code = 'file_refused' as const;
  constructor(reason: string) {
    super(reason);
    this.name = 'FileRefusedError';
  }
}
