/** Maps what a turn threw to an HTTP status with a reason; the process never crashes on input. */
import type { Response } from 'restify';
import { TransitionError } from '../core/escalation';
import { DeliveryError, NotFoundError, StoreUnavailableError } from '../core/errors';
import type { Logger } from '../core/logger';

export function sendError(res: Response, err: unknown, log: Logger): void {
  if (res.headersSent) {
    log.error({ err: String(err) }, 'error after the response was sent');
    return;
  }
  if (err instanceof StoreUnavailableError) {
    log.error({ err: err.message }, 'store unavailable');
    res.header('Retry-After', '5');
    res.send(503, { error: 'store_unavailable', reason: 'the message could not be stored; retry later' });
    return;
  }
  if (err instanceof DeliveryError) {
    log.error({ err: err.message, status: err.status }, 'reply could not be delivered');
    res.send(502, { error: 'bad_gateway', reason: 'the reply could not be delivered to the caller' });
    return;
  }
  if (err instanceof TransitionError) {
    res.send(409, { error: err.code, reason: err.message });
    return;
  }
  if (err instanceof NotFoundError) {
    res.send(404, { error: 'not_found', reason: err.message });
    return;
  }
  const e = err as { name?: string; message?: string };
  if (e?.name === 'ZodError' || e?.name === 'TypeError') {
    res.send(400, { error: 'bad_request', reason: 'the activity is malformed' });
    return;
  }
  log.error({ err: e?.message ?? String(err), stack: (err as Error)?.stack }, 'unhandled error in a turn');
  res.send(500, { error: 'internal', reason: 'unexpected error; it was logged' });
}
