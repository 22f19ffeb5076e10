import { strict as assert } from 'node:assert';
import type { Response } from 'restify';
import { TransitionError } from '../../src/core/escalation';
import { BadInputError, ConcurrencyError, NotFoundError, StoreUnavailableError } from '../../src/core/errors';
import { DeliveryError } from '../../src/delivery/deliveryError';
import { sendError } from '../../src/http/errorResponse';
import { sampleEscalation } from '../helpers/fixtures';

function recorder() {
  const sent: { status?: number; body?: any; headers: Record<string, string> } = { headers: {} };
  const res = { headersSent: false, header: (k: string, v: string) => void (sent.headers[k] = v), send: (status: number, body: unknown) => Object.assign(sent, { status, body }) } as unknown as Response;
  const logged: Array<{ obj: any; msg?: string }> = [];
  const log = { debug() {}, info() {}, warn() {}, error: (obj: object, msg?: string) => void logged.push({ obj, msg }), child() { return log; } };
  return { res, sent, log, logged };
}

describe('sendError: error codes to HTTP, in one place', () => {
  const cases: Array<[string, unknown, number, string]> = [
    ['bad input', new BadInputError('activity.type is required'), 400, 'bad_request'],
    ['unknown escalation', new NotFoundError('escalation x'), 404, 'not_found'],
    ['a rule that no longer applies', new TransitionError('already_claimed', 'claimed by Bo', sampleEscalation()), 409, 'already_claimed'],
    ['the store is down', new StoreUnavailableError('down'), 503, 'store_unavailable'],
    ['too many concurrent changes', new ConcurrencyError('escalation x'), 503, 'concurrent_update'],
    ['a reply that could not be delivered', new DeliveryError('refused', { status: 500 }), 502, 'delivery_failed'],
  ];
  for (const [what, err, status, code] of cases) {
    it(`${what} → ${status} ${code}`, () => {
      const { res, sent, log } = recorder();
      sendError(res, err, log);
      assert.deepEqual([sent.status, sent.body.error], [status, code]);
      if (status === 503) assert.equal(sent.headers['Retry-After'], '5');
    });
  }

  it('a bug in our own code (a TypeError) is a 500, logged with its stack, never a 400', () => {
    const { res, sent, log, logged } = recorder();
    let bug: unknown;
    try {
      JSON.parse('{}').missing.field = 1;
    } catch (err) {
      bug = err;
    }
    sendError(res, bug, log);
    assert.deepEqual([sent.status, sent.body.error], [500, 'internal']);
    assert.match(logged[0].obj.stack, /TypeError/);
  });
});
