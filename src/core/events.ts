/** What an escalation went through. Rules return these; effects.ts turns them into outbox items. */
import type { AgentRef, DeskRef } from './escalation';
import type { MentionTarget } from './mentions';

/** What a customer is told about their place in the queue. */
export interface QueueStanding {
  position?: number;
  /** The median time-to-claim of the queue, when there is enough history (seconds, at least a minute). */
  waitSeconds?: number;
  /** When agents are back, if the office is closed now (ISO), and the office's time zone to say it in. */
  opensAt?: string;
  timeZone?: string;
}

export type EscalationEvent =
  | ({ type: 'started' } & QueueStanding)
  | { type: 'claimed'; agent: AgentRef }
  | ({ type: 'released'; agent: AgentRef } & QueueStanding)
  | { type: 'resolved'; agent: AgentRef; survey?: boolean }
  | { type: 'rated'; score: number }
  | { type: 'surveyDeclined' }
  | { type: 'customerLeft' }
  | { type: 'abandoned' }
  | { type: 'problemAdded' }
  | { type: 'placedOnDesk' }
  | { type: 'customerUnreachable'; reason: string }
  | { type: 'transferred'; by: AgentRef; to: AgentRef }
  | { type: 'forceClosed'; by: AgentRef }
  | { type: 'transferredToQueue'; by: AgentRef; from: string; to: string; oldRef?: DeskRef }
  // Raised by timers (timers.ts):
  | { type: 'queuePositionChanged'; position: number }
  | { type: 'claimOverdue'; level: 'notify' | 'leads'; waitedSeconds: number; mentions: MentionTarget[] }
  | { type: 'replyOverdue'; waitedSeconds: number; owner: AgentRef }
  | { type: 'checkedIn'; closeInSeconds: number }
  | { type: 'closedInactive' }
  | { type: 'firstResponse' }
  /** Only a timer moved: written (so it fires once), with nothing to tell anyone. */
  | { type: 'timersMoved' };

export type EventType = EscalationEvent['type'];

/** An event's id: the escalation, the revision the event produced, and its type. Stable across retries. */
export function eventId(escalationId: string, rev: number, type: EventType): string {
  return `${escalationId}|${rev}|${type}`;
}
