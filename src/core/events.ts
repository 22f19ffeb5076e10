/** What an escalation went through. Rules return these; effects.ts turns them into outbox items. */
import type { AgentRef } from './escalation';

export type EscalationEvent =
  | { type: 'started' }
  | { type: 'claimed'; agent: AgentRef }
  | { type: 'released'; agent: AgentRef }
  | { type: 'resolved'; agent: AgentRef }
  | { type: 'customerLeft' }
  | { type: 'abandoned' }
  | { type: 'problemAdded' }
  | { type: 'placedOnDesk' }
  | { type: 'customerUnreachable'; reason: string };

export type EventType = EscalationEvent['type'];

/** An event's id: the escalation, the revision the event produced, and its type. Stable across retries. */
export function eventId(escalationId: string, rev: number, type: EventType): string {
  return `${escalationId}|${rev}|${type}`;
}
