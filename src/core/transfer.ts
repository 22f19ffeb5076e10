/**
 * Transfer: the owner hands a claimed escalation to a colleague (who owns it at once, as a claim would) or to another
 * queue (where it waits again, on a new card in that queue's channel; the old thread stops relaying). Pure rules like
 * those of escalation.ts; the ETag condition of the ledger decides races with claims and other transfers.
 */
import { assertOpen, assertOwner, changed, queueOf, TransitionError, type AgentRef, type Decision, type Escalation } from './escalation';

/** To a queue: `desk` is the desk that serves it (its chat moves there when it is another kind of desk). */
export type TransferTarget = { kind: 'agent'; agent: AgentRef } | { kind: 'queue'; queue: string; desk?: string };

/** `asSupervisor`: a reassignment, by someone who need not own it (and of a queued escalation too). */
export function transfer(e: Escalation, by: AgentRef, to: TransferTarget, now: string, asSupervisor = false): Decision {
  assertOpen(e);
  if (!asSupervisor) assertOwner(e, by);
  if (to.kind === 'agent') {
    if (to.agent.id === e.owner?.id) throw new TransitionError('same_place', `${to.agent.name} already owns escalation ${e.id}`, e);
    return changed(e, { ...e, status: 'claimed', owner: to.agent, claimedAt: now }, now, { type: 'transferred', by, to: to.agent });
  }
  const from = queueOf(e);
  if (to.queue === from) throw new TransitionError('same_place', `escalation ${e.id} is in the ${from} queue already`, e);
  const { owner: _owner, claimedAt: _claimedAt, deskRef, ...rest } = e;
  const next: Escalation = { ...rest, status: 'queued', queue: to.queue, desk: to.desk ?? e.desk, transferredFrom: from, previousDesks: [...(e.previousDesks ?? []), ...(deskRef ? [deskRef] : [])] };
  return changed(e, next, now, { type: 'transferredToQueue', by, from, to: to.queue, ...(deskRef ? { oldRef: deskRef } : {}) });
}

/** A supervisor closes the chat, whoever owns it: the customer goes back to the virtual agent. */
export function forceClose(e: Escalation, supervisor: AgentRef, now: string): Decision {
  if (e.closedReason === 'supervisor') return { escalation: e, events: [] };
  assertOpen(e);
  return changed(e, { ...e, status: 'closed', closedReason: 'supervisor', closedBy: supervisor, closedAt: now }, now, { type: 'forceClosed', by: supervisor });
}
