/** What the edges hand the handover (a start, a customer's line) and what it answers for each line. */
import type { CustomerRef, Escalation } from './escalation';
import type { FileRef } from './transcript';

export type CustomerMessageResult =
  | { kind: 'relayed'; escalation: Escalation }
  | { kind: 'duplicate'; escalation: Escalation }
  | { kind: 'closed'; escalation: Escalation }
  | { kind: 'unknown' };

export type AgentMessageResult =
  | { kind: 'relayed'; escalation: Escalation; claimed: boolean }
  | { kind: 'note'; escalation: Escalation }
  | { kind: 'duplicate'; escalation: Escalation }
  | { kind: 'notOwner'; escalation: Escalation }
  /** Moved to another queue before this line could claim it (a supervisor's reassignment): not sent. */
  | { kind: 'moved'; escalation: Escalation }
  | { kind: 'closed'; escalation: Escalation };

export interface StartInput {
  customer: CustomerRef;
  problem: string;
  context: Record<string, string>;
  /** The `Queue` input: which queue the chat should wait in (routing decides; see routing.ts). */
  queue?: string;
}

export interface CustomerLine {
  /** The chat the line came from (Copilot Studio's conversation id). */
  conversationId: string;
  /** LiveChatConversationId, when Copilot Studio passes it: saves the look-up (checked against the chat). */
  escalationId?: string;
  text: string;
  activityId?: string;
  problem?: string;
  /** Images that came with the line, stored already; how many files were not passed on (the customer is told). */
  files?: FileRef[];
  refusedFiles?: number;
}
