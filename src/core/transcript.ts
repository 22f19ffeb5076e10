/**
 * What was said in an escalation (the transcript), and the outbox items the relay delivers. A line that must reach
 * someone is its own outbox item: its transcript entry carries the delivery state, so a line costs one write to
 * accept and one to mark delivered (while processes share lanes, its lane's queue is the record instead: 'queued').
 * Card changes are outbox items of their own, never lines of the transcript.
 */
import { hash, randomBytes } from 'node:crypto';
import type { AgentRef, DeskRef } from './escalation';
import type { EventType } from './events';
import type { MentionTarget } from './mentions';

/** toDesk: shown to agents; toCustomer: sent to the customer's chat; internal: stored only. */
export type Direction = 'toDesk' | 'toCustomer' | 'internal';
export type Outbound = Exclude<Direction, 'internal'>;
/** transcript: a part of the closed chat's transcript, posted into its thread. */
export type EntryKind = 'customer' | 'agent' | 'notice' | 'note' | 'transcript';
/**
 * pending: to be delivered under the item's own lease. queued: accepted into a shared lane as its entry `laneSeq`;
 * delivered once the lane no longer lists that entry (no write per line for it), failed is written. none: internal.
 */
export type DeliveryState = 'pending' | 'queued' | 'delivered' | 'failed' | 'none';

export interface Delivery {
  state: DeliveryState;
  attempts: number;
  lastError?: string;
  deliveredAt?: string;
  /** The process that delivers this item, until `leaseUntil` (epoch ms); then any process may take it. */
  leaseOwner?: string;
  leaseUntil?: number;
  /** state 'queued': the number of the lane entry this item was accepted as. */
  laneSeq?: number;
  /** state 'queued': the escalation's revision it was accepted with (a holder with an older copy reads it again). */
  escalationRev?: number;
  /**
   * Parts of a line the edge split (Teams' size limit) already sent, written after each part but the last: a process
   * that takes the item over after a crash goes on from the next part instead of sending the first ones again.
   */
  partsSent?: number;
}

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
  /** Who a desk notice @mentions (the desk renders them). */
  mentions?: MentionTarget[];
  /** A desk notice for a thread the escalation left (a transfer), instead of its current one. */
  target?: DeskRef;
  /** The inbound activity (or event) the entry came from, so a retried one is recorded once. */
  sourceActivityId?: string;
  /** A notice the service sent because of this event (claims, releases, the close: the transcript lists them). */
  event?: EventType;
  /** Asks the customer something the channel shows as buttons: 'rating' = the 1–5 satisfaction survey. */
  ask?: 'rating';
  /** Images that came with the line (stored files; the channel or desk shows them). */
  files?: FileRef[];
  delivery: Delivery;
}

/** A stored file, checked by its bytes (images only). */
export interface FileRef {
  id: string;
  contentType: string;
  name?: string;
  bytes: number;
}

/** "Show the escalation as it now is" on its desk: the first announces it, later ones update it. */
export interface CardItem {
  id: string;
  escalationId: string;
  seq: string;
  at: string;
  direction: 'toDesk';
  kind: 'card';
  /** The card of a thread the escalation left (a transfer): shown as transferred, without actions. */
  target?: DeskRef;
  transferredTo?: string;
  /** Instead of showing the card: post the closed chat's transcript into its thread. */
  post?: 'transcript';
  delivery: Delivery;
}

/** What the relay delivers: a line (or notice) of the transcript, or a card change. */
export type OutboxItem = TranscriptEntry | CardItem;

export const CARD_ITEM_PREFIX = 'card|';

export function isCard(item: OutboxItem): item is CardItem {
  return item.kind === 'card';
}

/** Intake order of two items (seqs are fixed-width, so plain string order is intake order). */
export function bySeq(a: { seq: string }, b: { seq: string }): number {
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

let lastMs = 0;
let counter = 0;

/** Monotonic in this process for a given clock reading; the time keeps processes roughly in step. */
export function nextSeq(nowMs: number): string {
  if (nowMs <= lastMs) {
    counter += 1;
  } else {
    lastMs = nowMs;
    counter = 0;
  }
  return `${String(lastMs).padStart(15, '0')}-${String(counter).padStart(6, '0')}`;
}

/**
 * Entry ids are derived from the inbound activity (or event) when there is one, so that a retried activity collides
 * with its first copy (409) instead of being recorded twice.
 */
export function entryId(escalationId: string, direction: Direction, sourceActivityId?: string): string {
  if (!sourceActivityId) return `${direction}-${randomBytes(9).toString('hex')}`;
  // crypto.hash: one call, no Hash object (0.8 µs against 1.9 µs for createHash in node dist/bench/lineCosts.js).
  const digest = hash('sha256', `${escalationId}|${direction}|${sourceActivityId}`, 'hex');
  return `${direction}-a-${digest.slice(0, 32)}`;
}

const initialDelivery = (direction: Direction): Delivery => ({ state: direction === 'internal' ? 'none' : 'pending', attempts: 0 });

export function newEntry(fields: Omit<TranscriptEntry, 'id' | 'seq' | 'at' | 'delivery'> & { now: Date }): TranscriptEntry {
  // Built field by field: an object rest (`{ now, ...rest }`) or a literal that starts with a spread and adds keys
  // takes a slow path in Node 20's V8, and every line passes here (node dist/bench/lineCosts.js).
  const entry: TranscriptEntry = {
    id: entryId(fields.escalationId, fields.direction, fields.sourceActivityId),
    escalationId: fields.escalationId,
    seq: nextSeq(fields.now.getTime()),
    at: fields.now.toISOString(),
    direction: fields.direction,
    kind: fields.kind,
    text: fields.text,
    delivery: initialDelivery(fields.direction),
  };
  // The optional fields the caller gave (named checks: a loop over the names would make every store a keyed one).
  if ('author' in fields) entry.author = fields.author;
  if ('mentions' in fields) entry.mentions = fields.mentions;
  if ('target' in fields) entry.target = fields.target;
  if ('sourceActivityId' in fields) entry.sourceActivityId = fields.sourceActivityId;
  if ('event' in fields) entry.event = fields.event;
  if ('ask' in fields) entry.ask = fields.ask;
  // Images only when there are some: callers pass their list as it came, often empty (no spread at their call).
  if (fields.files?.length) entry.files = fields.files;
  return entry;
}

/** A card change caused by event `eventId`. */
export function newCardItem(escalationId: string, eventId: string, now: Date): CardItem {
  return {
    id: `${CARD_ITEM_PREFIX}${hash('sha256', eventId, 'hex').slice(0, 32)}`,
    escalationId,
    seq: nextSeq(now.getTime()),
    at: now.toISOString(),
    direction: 'toDesk',
    kind: 'card',
    delivery: initialDelivery('toDesk'),
  };
}
