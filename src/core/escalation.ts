/**
 * The escalation and its state machine: queued → claimed → closed.
 * Pure functions only: every transition returns a new escalation or throws a TransitionError,
 * so the store can apply them under an ETag condition and re-apply after a lost race.
 */

export type EscalationStatus = 'queued' | 'claimed' | 'closed';
/** Who or what closed an escalation. */
export type CloseReason = 'customer' | 'agent' | 'abandoned';

/** A person acting on the agent side. */
export interface AgentRef {
  id: string;
  name: string;
  aadObjectId?: string;
}

/** Everything needed to reach the customer's own chat proactively. */
export interface CustomerRef {
  /** The customer's conversation id as Copilot Studio passes it (the Teams chat id). */
  conversationId: string;
  userId: string;
  userName?: string;
  aadObjectId?: string;
  tenantId?: string;
  /** The channel the customer is on (msteams). */
  channelId: string;
  /** Where proactive messages go (the Teams service URL, never the pvaruntime one). */
  serviceUrl: string;
  /** The Copilot Studio agent that the customer talks to; proactive messages are sent as this bot. */
  botId: string;
  botName?: string;
  locale?: string;
}

/** Where an escalation lives on an agent desk (a Teams channel thread today; other desks later). */
export interface DeskRef {
  desk: string;
  conversationId: string;
  rootActivityId: string;
  /** Where the desk's API answers (the Teams service URL of the agents' team). */
  serviceUrl?: string;
}

export interface Escalation {
  id: string;
  status: EscalationStatus;
  customer: CustomerRef;
  problem: string;
  /** Copilot Studio's handoff variables and topic variables, as strings. */
  context: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  lastMessageAt?: string;
  owner?: AgentRef;
  claimedAt?: string;
  closedAt?: string;
  closedReason?: CloseReason;
  closedBy?: AgentRef;
  deskRef?: DeskRef;
  /** Outbound delivery problems shown on the card (e.g. app removed from the customer's chat). */
  deliveryProblem?: string;
}

export class TransitionError extends Error {
  constructor(
    readonly code: 'already_claimed' | 'not_owner' | 'closed' | 'not_claimed',
    message: string,
    readonly escalation: Escalation,
  ) {
    super(message);
    this.name = 'TransitionError';
  }
}

export function isOpen(e: Escalation): boolean {
  return e.status !== 'closed';
}

function assertOpen(e: Escalation): void {
  if (e.status === 'closed') {
    throw new TransitionError('closed', `escalation ${e.id} is closed (${e.closedReason})`, e);
  }
}

function assertOwner(e: Escalation, agent: AgentRef): void {
  if (e.status !== 'claimed' || !e.owner) {
    throw new TransitionError('not_claimed', `escalation ${e.id} is not claimed`, e);
  }
  if (e.owner.id !== agent.id) {
    throw new TransitionError('not_owner', `escalation ${e.id} is owned by ${e.owner.name}`, e);
  }
}

/** Claim a queued escalation. Claiming one you already own is a no-op (same object back). */
export function claim(e: Escalation, agent: AgentRef, now: string): Escalation {
  assertOpen(e);
  if (e.status === 'claimed') {
    if (e.owner?.id === agent.id) return e;
    throw new TransitionError('already_claimed', `escalation ${e.id} is already claimed by ${e.owner?.name}`, e);
  }
  return { ...e, status: 'claimed', owner: agent, claimedAt: now, updatedAt: now };
}

/** The owner hands the escalation back to the queue. */
export function release(e: Escalation, agent: AgentRef, now: string): Escalation {
  assertOpen(e);
  assertOwner(e, agent);
  const { owner: _owner, claimedAt: _claimedAt, ...rest } = e;
  return { ...rest, status: 'queued', updatedAt: now };
}

/** The owner resolves the escalation: the customer goes back to the virtual agent. */
export function resolve(e: Escalation, agent: AgentRef, now: string): Escalation {
  assertOpen(e);
  assertOwner(e, agent);
  return { ...e, status: 'closed', closedReason: 'agent', closedBy: agent, closedAt: now, updatedAt: now };
}

/** The customer said goodbye, or Copilot Studio ended the skill. */
export function customerLeft(e: Escalation, now: string): Escalation {
  assertOpen(e);
  return { ...e, status: 'closed', closedReason: 'customer', closedAt: now, updatedAt: now };
}

/** Nobody answered in time or the chat went stale (timers, later). */
export function abandon(e: Escalation, now: string): Escalation {
  assertOpen(e);
  return { ...e, status: 'closed', closedReason: 'abandoned', closedAt: now, updatedAt: now };
}
