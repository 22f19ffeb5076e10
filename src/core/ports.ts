/**
 * The ports the handover core needs. The core imports no SDK, HTTP or Cosmos library, keeps no timers or leases and
 * reads no clock of its own: edges implement these interfaces and the composition root hands them in.
 */
import type { Escalation } from './escalation';
import type { LineFacts } from './timers';
import type { CardItem, OutboxItem, TranscriptEntry } from './transcript';

/** A stored document with its concurrency token. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/** Escalation records; replace is conditional on the ETag. */
export interface EscalationStore {
  get(id: string): Promise<Versioned<Escalation>| undefined>;
  /** Throws ConflictError when the id exists. */
  create(e: Escalation): Promise<Versioned<Escalation>>;
  /** Throws ConcurrencyError when the stored ETag no longer matches. */
  replace(e: Escalation, etag: string): Promise<Versioned<Escalation>>;
  /** Escalations whose events' effects may be missing, last changed before `beforeIso` (the sweep; one query). */
  unsettled(beforeIso: string, limit: number): Promise<Array<Versioned<Escalation>>>;
  /** Escalations with a timer due at or before `nowIso` (`dueAt`), soonest first: the timer sweep's one query. */
  due(nowIso: string, limit: number): Promise<Array<Versioned<Escalation>>>;
  /** The escalations queued in `queue`, for positions (one query; id and creation time only). */
  waiting(queue: string): Promise<Array<{ id: string; createdAt: string }>>;
  /**
   * How many wait in `queue` ahead of `of` in queue order (created earlier; created in the same millisecond, a smaller
   * id), the order `waiting` is ranked in: one aggregate query. `of` need not be stored (a chat about to be queued).
   */
  countWaiting(queue: string, of: { id: string; createdAt: string }): Promise<number>;
  /** Seconds from queued to claimed of the queue's escalations claimed since `sinceIso` (wait estimates; one query). */
  claimWaits(queue: string, sinceIso: string): Promise<number[]>;
  /** The ratings customers gave since `sinceIso`, with their queue (the lead's board; one query). */
  ratings(sinceIso: string): Promise<Array<{ queue: string; score: number }>>;
  /** Open escalations, oldest first (the lead's board; one query). */
  open(limit: number): Promise<Escalation[]>;
}

/** A small key → escalation id index, so each hot path is a point read, never a query. */
export interface LookupStore {
  get(key: string): Promise<Lookup | undefined>;
  /** Creates the key; throws ConflictError when it exists. `at`: when it was pointed (kept and given back). */
  create(key: string, escalationId: string, at?: string): Promise<Lookup>;
  /** Re-points the key, conditional on its ETag. */
  replace(key: string, escalationId: string, etag: string, at?: string): Promise<Lookup>;
}

/** A key's escalation id, and when the key was pointed at it (absent when the writer gave no time). */
export interface Lookup extends Versioned<string> {
  at?: string;
}

/** Items with a delivery state, kept per escalation. */
export interface DeliveryItemStore<T extends OutboxItem> {
  /** Throws ConflictError when the id exists (a retried activity or event). */
  append(item: T): Promise<Versioned<T>>;
  /** Conditional on `etag` when given: throws ConcurrencyError when another process changed the item. */
  replace(item: T, etag?: string): Promise<Versioned<T>>;
  get(escalationId: string, id: string): Promise<Versioned<T> | undefined>;
  /** Undelivered items whose lease ran out before `nowMs`, oldest first: the query does the filtering (the sweep). */
  reclaimable(nowMs: number, limit: number): Promise<Array<Versioned<T>>>;
  /**
   * Undelivered items under another process's lease that still runs, oldest first: what a process that just started
   * must not overtake (a lone or dead process was still sending them).
   */
  leasedElsewhere(me: string, nowMs: number, limit: number): Promise<Array<Versioned<T>>>;
}

/** The escalation's transcript: what was said, in order, each line with its delivery state. */
export interface TranscriptStore extends DeliveryItemStore<TranscriptEntry> {
  list(escalationId: string): Promise<TranscriptEntry[]>;
  /** When the newest customer or agent line was taken in (for the card). */
  lastLineAt(escalationId: string): Promise<string | undefined>;
  /** The times the conversation timers need: the newest agent line, the unanswered customer lines after it (one query). */
  lineFacts(escalationId: string): Promise<LineFacts>;
}

/** Outbox items that are not lines (card changes; timers later). */
export type OutboxStore = DeliveryItemStore<CardItem>;

/** Small named settings documents (e.g. the agent channel chosen in Teams). */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** Keys used in the lookup store. */
export const lookupKey = {
  customer: (conversationId: string) => `customer|${conversationId}`,
  desk: (threadId: string) => `desk|${threadId}`,
};

/** An outbox item as stored; `served` when it was queued in a shared lane and this process serves the lane. */
export interface Recorded {
  item: OutboxItem;
  etag: string;
  duplicate: boolean;
  served?: Promise<void>;
}

/** Where the core puts what must still be done; the delivery room behind it delivers in order, once. */
export interface Outbox {
  /** Stores the item before the request that caused it is answered; `duplicate` when its id was stored already. */
  record(item: OutboxItem, e: Escalation): Promise<Recorded>;
  /**
   * Starts delivering a stored item; settles when it is delivered or reported failed. A duplicate (stored before) is
   * left to whoever stored it first, unless recording queued it in a lane this process serves.
   */
  dispatch(e: Escalation, recorded: Recorded): Promise<void>;
}

/** What the core needs to know about time: the composition root passes the real clock, tests their own. */
export type Clock = () => Date;
