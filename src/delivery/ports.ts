/**
 * What the delivery room needs from the outbound edges (customer channels and desks, chosen per escalation from a
 * registry) and from the store (lane documents, instance heartbeats). Shaped so that a queue service with FIFO
 * sessions (e.g. Azure Service Bus sessions: one receiver per session, scheduled messages) could serve the same
 * `Outbox` port as another adapter: a lane is a session, its holder the session's receiver.
 */
import type { MentionTarget } from '../core/mentions';
import type { DeskRef, Escalation } from '../core/escalation';
import type { Versioned } from '../core/ports';

/**
 * Called by an edge right before each network call, after any wait (rate limiter): throws LeaseLostError when the
 * caller no longer holds the work, so a process that lost it never sends.
 */
export type Fence = () => Promise<void>;

/** A message on its way out, to the customer or to the desk. */
export interface OutboundMessage {
  text: string;
  /** Display name of who speaks (the agent's name, or the service's). */
  from?: string;
  /** Who a desk notice @mentions (desks render them their own way). */
  mentions?: MentionTarget[];
  /** Asks the customer for something with buttons: 'rating' = the 1–5 survey (the text is its question). */
  ask?: 'rating';
  /** Images to show with the text: links to the service's own signed, expiring file URLs. */
  files?: FileLink[];
  /** The outbox item's id: the same on every retry of this message (an idempotency key for desks that take one). */
  key?: string;
  /**
   * Parts of a message the edge split (Teams' size limit) already sent: kept across the retries of one delivery and
   * stored on the item, so neither a retry after a later part failed nor another process after a crash sends the
   * earlier ones again. The edge starts from `partsSent` and tells `sent` after each part.
   */
  progress?: PartProgress;
}

export interface PartProgress {
  partsSent: number;
  /** `count` of the message's `of` parts are sent: stored before the next part goes (nothing to store after the last). */
  sent(count: number, of: number): Promise<void>;
}

/** A stored image as a link the other side can open for a while (FILE_LINK_MINUTES). */
export interface FileLink {
  url: string;
  contentType: string;
  name?: string;
}

/** What a line posted on the desk is: a customer's line, a service notice, an internal note, a transcript part. */
export type DeskLineKind = 'customer' | 'notice' | 'note' | 'transcript';

/** A customer's chat (Teams, through the Copilot Studio agent's registration; others later). */
export interface CustomerChannel {
  send(e: Escalation, message: OutboundMessage, fence: Fence): Promise<void>;
}

/** What announcing an escalation on a desk gave: where it lives, and lines to post there next (in order). */
export interface Placement {
  ref: DeskRef;
  followUps: string[];
}

/** Where agents work (a Teams channel; other desks later). */
export interface AgentDesk {
  /** The most text one post carries (the transcript is stored in parts of this size); a default applies when absent. */
  readonly maxTextBytes?: number;
  /** Announces a new escalation. The caller stores `ref` before anything else, so one escalation gets one place. */
  announce(e: Escalation, fence: Fence): Promise<Placement>;
  /** Shows the escalation's card as it now is; `transferredTo`: the card of a thread it left (e.deskRef is that thread). */
  refresh(e: Escalation, view: { lastLineAt?: string; transferredTo?: string }, fence: Fence): Promise<void>;
  /** Posts a line into the escalation's place on the desk. */
  post(e: Escalation, message: OutboundMessage & { kind: DeskLineKind }, fence: Fence): Promise<void>;
}

/** Desks and customer channels by name: an escalation names its own. */
export interface Registry<T> {
  get(name: string): T | undefined;
}

/** One item waiting in a lane: its id, its number in the lane (appends count up), when it was appended (epoch ms). */
export interface LaneEntry {
  id: string;
  seq: number;
  at: number;
  /** Set by an acceptor whose store write was slow: the item is stored, its entry must not be dropped. */
  stored?: boolean;
}

/**
 * A lane (one escalation and direction) while several processes serve: who delivers it now, until when, and the items
 * waiting for delivery in the order they were received, whichever process accepted them. An item accepted into the
 * lane ('queued') counts as delivered once its entry left the queue: the holder's removal is its delivered record.
 */
export interface LaneDoc {
  holder?: string;
  until: number;
  /** Oldest first. */
  queue: LaneEntry[];
  /** The number of the last entry appended. */
  last?: number;
  /** Entries a holder dropped because their item was never stored (the newest few). */
  dropped?: Array<{ id: string; seq: number }>;
  /** What the last holder left for the next (the lane's recent sends, for rate limits). */
  memo?: unknown;
}

/** Lane documents: every change is conditional, so processes never overwrite each other's. */
export interface LaneStore {
  get(key: string): Promise<Versioned<LaneDoc> | undefined>;
  /** Creates `key` without `etag` (ConflictError if it exists); with it, replaces only that version (ConcurrencyError). */
  put(key: string, doc: LaneDoc, etag?: string): Promise<Versioned<LaneDoc>>;
  /** Lanes with entries whose holder's lease ran out before `nowMs` (a dead holder's): their keys, at most `limit`. */
  stalled(nowMs: number, limit: number): Promise<string[]>;
}

/** Entries as stored by earlier versions (bare ids) read as entries of items that carry their own delivery state. */
export function laneEntries(queue: ReadonlyArray<LaneEntry | string> | undefined): LaneEntry[] {
  return (queue ?? []).map((q) => (typeof q === 'string' ? { id: q, seq: 0, at: 0 } : { ...q }));
}

/** Heartbeats: which processes serve the store now. */
export interface InstanceRegistry {
  /**
   * Says `instance` is alive until `nowMs + ttlMs`, and which other processes it has seen (and so delivers its lines
   * in lanes with): a joining process holds its acknowledgements until each live peer lists it (peers.ts).
   */
  heartbeat(instance: string, ttlMs: number, nowMs: number, note?: InstanceNote): Promise<void>;
  /** Processes whose last heartbeat is still on record, with the time it runs out and the peers it said it saw. */
  instances(): Promise<InstanceRecord[]>;
}

/** What a heartbeat record says besides the time: the peers its process has seen; that it stopped. */
export interface InstanceNote {
  sees?: string[];
  /** Written by a process that stops: nobody waits to be seen by it (its record still counts until it runs out). */
  gone?: boolean;
}

export interface InstanceRecord extends InstanceNote {
  instance: string;
  until: number;
  /** When the process wrote it (its clock, epoch ms). */
  at?: number;
}

/**
 * What an outbound edge knows about a lane's conversation that the next process delivering there needs (the recent
 * calls its rate-limit windows count). Handed over with the lane when processes share the store.
 */
export interface LaneMemory {
  /** What this process knows of the lane's recent calls; undefined when it knows none. */
  export(e: Escalation, direction: 'toDesk' | 'toCustomer'): unknown;
  import(e: Escalation, direction: 'toDesk' | 'toCustomer', memo: unknown): void;
  /** A send in the lane's conversation that another process made outside the lane (epoch ms): counted here too. */
  sentElsewhere?(e: Escalation, direction: 'toDesk' | 'toCustomer', atMs: number, calls?: number): void;
  /** How many processes serve now (this one included). */
  instances(count: number): void;
  /** How long a call counts in what `export` hands on (ms; absent or 0: nothing is handed on when sharing starts). */
  horizonMs?: number;
}
