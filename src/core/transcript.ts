/** A transcript line with its delivery state: the unit the relay stores before acknowledging. */
import { createHash, randomBytes } from 'node:crypto';
import type { AgentRef } from './escalation';

/** toDesk: shown to agents; toCustomer: sent to the customer's chat; internal: stored only. */
export type Direction = 'toDesk' | 'toCustomer' | 'internal';
/** `card`: the desk's view of the escalation (first one announces it, later ones update it). */
export type EntryKind = 'customer' | 'agent' | 'notice' | 'note' | 'card';
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'none';

export interface TranscriptEntry {
  id: string;
  escalationId: string;
  /** Sortable position: order of intake within the escalation. */
  seq: string;
  at: string;
  direction: Direction;
  kind: EntryKind;
  author?: AgentRef | { id: string; name?: string };
  text: string;
  /** The inbound activity id, so a retried activity is recorded once. */
  sourceActivityId?: string;
  delivery: Delivery;
}

export interface Delivery {
  state: DeliveryState;
  attempts: number;
  lastError?: string;
  deliveredAt?: string;
  /** The instance that delivers this entry, until `leaseUntil` (epoch ms); then any instance may claim it. */
  leaseOwner?: string;
  leaseUntil?: number;
}

let lastMs = 0;
let counter = 0;

/** Monotonic in this process; the timestamp keeps instances roughly in step. */
/** Intake order of two entries (seqs are fixed-width, so plain string order is intake order). */
export function bySeq(a: { seq: string }, b: { seq: string }): number {
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

export function nextSeq(now = Date.now()): string {
  if (now <= lastMs) {
    counter += 1;
  } else {
    lastMs = now;
    counter = 0;
  }
  return `${String(lastMs).padStart(15, '0')}-${String(counter).padStart(6, '0')}`;
}

/**
 * Entry ids are derived from the inbound activity id when there is one, so that a retried
 * activity collides with its first copy (409) instead of being recorded twice.
 */
export function entryId(escalationId: string, direction: Direction, sourceActivityId?: string): string {
  if (!sourceActivityId) return `${direction}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
  const digest = createHash('sha256').update(`${escalationId}|${direction}|${sourceActivityId}`).digest('hex');
  return `${direction}-a-${digest.slice(0, 32)}`;
}

export function newEntry(
  fields: Omit<TranscriptEntry, 'id' | 'seq' | 'at' | 'delivery'> & { now: string },
): TranscriptEntry {
  const { now, ...rest } = fields;
  return {
    ...rest,
    id: entryId(fields.escalationId, fields.direction, fields.sourceActivityId),
    seq: nextSeq(),
    at: now,
    delivery: { state: fields.direction === 'internal' ? 'none' : 'pending', attempts: 0 },
  };
}
