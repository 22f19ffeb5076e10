/**
 * Transfer: the owner hands a claimed escalation to a colleague (who owns it at once, as a claim would) or to another
 * queue (where it waits again, on a new card in that queue's channel; the old thread stops relaying). Pure rules like
 * those of escalation.ts; the ETag condition of the ledger decides races with claims and other transfers.
 */
import { assertOpen, assertOwner, changed, queueOf, TransitionError, type AgentRef, type Decision, type Escalation } from './escalation';

export type TransferTarget = { kind: 'agent'; agent: AgentRef } | { kind: 'queue'; queue: string };

export function transfer(e: Escalation, by: AgentRef, to: TransferTarget, now: string): Decision {
  assertOpen(e);
  assertOwner(e, by);
  if (to.kind === 'agent') {
    if (to.agent.id === by.id) throw new TransitionError('same_place', `${by.name} already owns escalation ${e.id}`, e);
    return changed(e, { ...e, owner: to.agent, claimedAt: now }, now, { type: 'transferred', by, to: to.agent });
  }
  const from = queueOf(e);
  if (to.queue === from) throw new TransitionError('same_place', `escalation ${e.id} is in the ${from} queue already`, e);
  const { owner: _owner, claimedAt: _claimedAt, deskRef, ...rest } = e;
  const next: Escalation = { ...rest, status: 'queued', queue: to.queue, transferredFrom: from, previousDesks: [...(e.previousDesks ?? []), ...(deskRef ? [deskRef] : [])] };
  return changed(e, next, now, { type: 'transferredToQueue', by, from, to: to.queue, ...(deskRef ? { oldRef: deskRef } : {}) });
}
