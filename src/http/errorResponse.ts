/**
 * The one place that maps error codes to HTTP statuses. Errors raised on purpose carry a code (core/errors.ts);
 * anything else is a bug in our own code: 500, logged with its stack, never passed off as the caller's fault.
 */
import type { Response } from 'restify';
import { CodedError, codeOf, type ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';

const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  not_found: 404,
  already_claimed: 409,
  not_owner: 409,
  closed: 409,
  not_claimed: 409,
  same_place: 409,
  moved: 409,
  unknown_queue: 400,
  file_refused: 422,
  already_exists: 409,
  concurrent_update: 503,
  store_unavailable: 503,
  lease_lost: 503,
  delivery_failed: 502,
};

const reasons: Partial<Record<ErrorCode, string>> = {
  store_unavailable: 'the message could not be stored; retry later',
  concurrent_update: 'too many concurrent changes; retry later',
  delivery_failed: 'the reply could not be delivered to the caller',
};

export function sendError(res: Response, err: unknown, log: Logger): void {
  const e = err as Error | undefined;
  if (res.headersSent) {
    log.error({ err: e?.message ?? String(err), stack: e?.stack }, 'error after the response was sent');
    return;
  }
  const code = codeOf(err);
  if (!code) {
    log.error({ err: e?.message ?? String(err), stack: e?.stack }, 'unhandled error in a turn');
    res.send(500, { error: 'internal', reason: 'unexpected error; it was logged' });
    return;
  }
  const status = statusOf[code];
  if (status >= 500) log.error({ code, err: e?.message, stack: e?.stack }, 'request failed');
  if (status === 503) res.header('Retry-After', '5');
  res.send(status, { error: code, reason: (err instanceof CodedError ? err.reason : undefined) ?? reasons[code] ?? e?.message ?? code });
}
