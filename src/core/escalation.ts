/**
 * The escalation and its rules: queued → claimed → closed. Pure functions only: each rule returns the next state and
 * the events the change causes (a `Decision`), or throws a TransitionError. The store applies a decision under an ETag
 * condition and re-decides after a lost race; what must happen outside follows from the events (see effects.ts).
 */
import { CodedError } from './errors';
import type { EscalationEvent, QueueStanding } from './events';
import type { EscalationTimers } from './timers';

export type EscalationStatus = 'queued' | 'claimed' | 'closed';
/** Who or what closed an escalation. */
export type CloseReason = 'customer' | 'agent' | 'abandoned' | 'inactive' | 'supervisor';

/** A person acting on the agent side. */
export interface AgentRef {
  id: string;
  name: string;
  aadObjectId?: string;
}

/**
 * The customer's chat as the core sees it: which customer channel serves it, the conversation id Copilot Studio
 * passes (the key of the chat), what to show agents, and the channel's own address data, opaque to the core.
 */
export interface CustomerRef {
  channel: string;
  conversationId: string;
  name?: string;
  locale?: string;
  /** A short description for agents (e.g. "Teams user"). */
  detail?: string;
  address: Record<string, unknown>;
}

/** Where an escalation lives on its desk: the desk's name, the thread's key (for look-ups), the desk's own data. */
export interface DeskRef {
  desk: string;
  threadId: string;
  address: Record<string, unknown>;
}

/** An event the escalation went through, with an id derived from the escalation and its revision. */
export type EventRecord = EscalationEvent & { id: string; rev: number; at: string };

export interface Escalation {
  id: string;
  /** Bumped by every change of state; event ids derive from it, so a retried change is recognised. */
  rev: number;
  status: EscalationStatus;
  customer: CustomerRef;
  /** The desk that serves this escalation (a name in the registry of desks). */
  desk: string;
  problem: string;
  /** Copilot Studio's handoff variables and topic variables, as strings. */
  context: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  owner?: AgentRef;
  claimedAt?: string;
  closedAt?: string;
  closedReason?: CloseReason;
  closedBy?: AgentRef;
  deskRef?: DeskRef;
  /** Threads it was shown on before a transfer to another queue (their lines are no longer relayed). */
  previousDesks?: DeskRef[];
  /** The queue of the last transfer's origin (its new card's thread gets the conversation so far). */
  transferredFrom?: string;
  /** The queue it waits in or was claimed from ('default' until queues exist; absent on older records). */
  queue?: string;
  /** Why it is in this queue, when that needs saying (an unknown queue was asked for). */
  routingNote?: string;
  /** When the current queued period began (start, or the last release). */
  queuedAt?: string;
  /** Due timers and what they already did (timers.ts); `dueAt` is the earliest, the sweep's one query filters on it. */
  timers?: EscalationTimers;
  dueAt?: string;
  /** The first line an agent sent the customer. */
  firstResponseAt?: string;
  /** Seconds from queued to claimed, of the last claim (samples for the wait estimate). */
  claimWaitSeconds?: number;
  /** The satisfaction survey sent when an agent resolved the chat, and its answer (the customer's next message). */
  survey?: { askedAt: string; answeredAt?: string; score?: number };
  /** Outbound delivery problems shown on the card (e.g. app removed from the customer's chat). */
  deliveryProblem?: string;
  /**
   * Events written with the state change whose outbox items may not all be stored yet (the transactional outbox):
   * cleared once they are, and stored again by whoever finds them (a retried request, the sweep).
   */
  unsettled?: EventRecord[];
}

/** The next state and the events that led there; no events means nothing changed. */
export interface Decision {
  escalation: Escalation;
  events: EscalationEvent[];
}

export type TransitionCode = 'already_claimed' | 'not_owner' | 'closed' | 'not_claimed' | 'same_place' | 'moved';

export class TransitionError extends CodedError {
  constructor(
    readonly code: TransitionCode,
    message: string,
    readonly escalation: Escalation,
  ) {
    super(message);
    this.name = 'TransitionError';
  }
}

export const DEFAULT_QUEUE = 'default';

export function queueOf(e: Escalation): string {
  return e.queue ?? DEFAULT_QUEUE;
}

export function isOpen(e: Escalation): boolean {
  return e.status !== 'closed';
}

const unchanged = (e: Escalation): Decision => ({ escalation: e, events: [] });

export function changed(e: Escalation, next: Escalation, now: string, ...events: EscalationEvent[]): Decision {
  return { escalation: { ...next, rev: e.rev + 1, updatedAt: now }, events };
}

export function assertOpen(e: Escalation): void {
  if (e.status === 'closed') throw new TransitionError('closed', `escalation ${e.id} is closed (${e.closedReason})`, e);
}

export function assertOwner(e: Escalation, agent: AgentRef): void {
  if (e.status !== 'claimed' || !e.owner) throw new TransitionError('not_claimed', `escalation ${e.id} is not claimed`, e);
  if (e.owner.id !== agent.id) throw new TransitionError('not_owner', `escalation ${e.id} is owned by ${e.owner.name}`, e);
}

export interface NewEscalation {
  id: string;
  customer: CustomerRef;
  desk: string;
  queue: string;
  routingNote?: string;
  problem: string;
  context: Record<string, string>;
}

/** A customer asked for a person: a queued escalation. */
export function start(input: NewEscalation, now: string, standing: QueueStanding = {}): Decision {
  const escalation: Escalation = { ...input, rev: 1, status: 'queued', createdAt: now, updatedAt: now };
  return { escalation, events: [{ type: 'started', ...standing }] };
}

/** Claim a queued escalation. Claiming one you already own changes nothing. */
export function claim(e: Escalation, agent: AgentRef, now: string): Decision {
  assertOpen(e);
  if (e.status === 'claimed') {
    if (e.owner?.id === agent.id) return unchanged(e);
    throw new TransitionError('already_claimed', `escalation ${e.id} is already claimed by ${e.owner?.name}`, e);
  }
  return changed(e, { ...e, status: 'claimed', owner: agent, claimedAt: now }, now, { type: 'claimed', agent });
}

/** The owner hands the escalation back to the queue. */
export function release(e: Escalation, agent: AgentRef, now: string, standing: QueueStanding = {}): Decision {
  assertOpen(e);
  assertOwner(e, agent);
  const { owner: _owner, claimedAt: _claimedAt, ...rest } = e;
  return changed(e, { ...rest, status: 'queued' }, now, { type: 'released', agent, ...standing });
}

/** The owner resolves the escalation: the customer goes back to the virtual agent. Resolving it again changes nothing. */
export function resolve(e: Escalation, agent: AgentRef, now: string, options: { survey?: boolean } = {}): Decision {
  if (e.closedReason === 'agent' && e.closedBy?.id === agent.id) return unchanged(e);
  assertOpen(e);
  assertOwner(e, agent);
  const survey = options.survey ? { survey: { askedAt: now } } : {};
  return changed(e, { ...e, status: 'closed', closedReason: 'agent', closedBy: agent, closedAt: now, ...survey }, now, { type: 'resolved', agent, ...(options.survey ? { survey: true } : {}) });
}

/** A rating is a message of just one digit, 1 to 5 (what the survey's buttons send as the customer's own message). */
export function ratingOf(text: string): number | undefined {
  const m = /^\s*([1-5])\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * The customer's first message after the survey answers it: a rating is kept, anything else ends the survey without
 * one. Only the first answer counts: a second rating (or a retried message) changes nothing.
 */
export function answerSurvey(e: Escalation, text: string, now: string): Decision {
  if (!e.survey || e.survey.answeredAt) return unchanged(e);
  const score = ratingOf(text);
  if (score === undefined) return changed(e, { ...e, survey: { ...e.survey, answeredAt: now } }, now, { type: 'surveyDeclined' });
  return changed(e, { ...e, survey: { ...e.survey, answeredAt: now, score } }, now, { type: 'rated', score });
}

/** The customer said goodbye, or Copilot Studio ended the skill. A closed escalation stays as it is. */
export function customerLeft(e: Escalation, now: string): Decision {
  if (!isOpen(e)) return unchanged(e);
  return changed(e, { ...e, status: 'closed', closedReason: 'customer', closedAt: now }, now, { type: 'customerLeft' });
}

/** Nobody answered in time or the chat went stale (timers). */
export function abandon(e: Escalation, now: string): Decision {
  assertOpen(e);
  return changed(e, { ...e, status: 'closed', closedReason: 'abandoned', closedAt: now }, now, { type: 'abandoned' });
}

/** The first sendMessage may carry the problem that startConversation lacked. */
export function addProblem(e: Escalation, problem: string, now: string): Decision {
  if (e.problem || !problem) return unchanged(e);
  return changed(e, { ...e, problem }, now, { type: 'problemAdded' });
}

/** The desk shows the escalation here now (the thread was created). Recorded once: a second thread is never kept. */
export function placeOnDesk(e: Escalation, ref: DeskRef, now: string): Decision {
  if (e.deskRef) return unchanged(e);
  return changed(e, { ...e, deskRef: ref }, now, { type: 'placedOnDesk' });
}

/** The customer's chat cannot be reached any more (the app was removed): agents must see it. */
export function customerUnreachable(e: Escalation, reason: string, now: string): Decision {
  if (e.deliveryProblem) return unchanged(e);
  return changed(e, { ...e, deliveryProblem: `Messages cannot reach the customer (${reason}).` }, now, { type: 'customerUnreachable', reason });
}
