/**
 * The ports the handover core needs. The core imports no SDK, HTTP or Cosmos library:
 * edges implement these interfaces.
 */
import type { AgentRef, DeskRef, Escalation } from './escalation';
import type { TranscriptEntry } from './transcript';

/** A stored document with its concurrency token. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/** Escalation records; replace is conditional on the ETag. */
export interface EscalationStore {
  get(id: string): Promise<Versioned<Escalation> | undefined>;
  create(e: Escalation): Promise<Versioned<Escalation>>;
  /** Throws ConcurrencyError when the stored ETag no longer matches. */
  replace(e: Escalation, etag: string): Promise<Versioned<Escalation>>;
}

/** A small key → escalation id index, so each hot path is a point read, never a query. */
export interface LookupStore {
  get(key: string): Promise<Versioned<string> | undefined>;
  /** Creates the key; throws ConflictError when it exists. */
  create(key: string, escalationId: string): Promise<Versioned<string>>;
  /** Re-points the key, conditional on its ETag. */
  replace(key: string, escalationId: string, etag: string): Promise<Versioned<string>>;
}

/** The escalation's transcript: every line, in order, with its delivery state. */
export interface TranscriptStore {
  /** Throws ConflictError when the id exists (a retried inbound activity). */
  append(entry: TranscriptEntry): Promise<Versioned<TranscriptEntry>>;
  /** Conditional on `etag` when given: throws ConcurrencyError when another instance changed the entry. */
  replace(entry: TranscriptEntry, etag?: string): Promise<Versioned<TranscriptEntry>>;
  list(escalationId: string): Promise<TranscriptEntry[]>;
  get(escalationId: string, id: string): Promise<Versioned<TranscriptEntry> | undefined>;
  /**
   * Undelivered entries that `owner` may deliver: lease expired, or held by `owner` itself (after a restart),
   * oldest first. A background sweep, never on the message path.
   */
  reclaimable(owner: string, nowMs: number, limit: number): Promise<Array<Versioned<TranscriptEntry>>>;
}

/** Keys used in the lookup store. */
export const lookupKey = {
  customer: (conversationId: string) => `customer|${conversationId}`,
  desk: (conversationId: string) => `desk|${conversationId}`,
};

/** A lease held: with what the previous holder left for the next (e.g. a lane's recent sends). */
export interface LeaseGrant {
  memo?: unknown;
}

/** Short-lived exclusive leases (timers, later) and instance heartbeats: exactly one holder until expiry. */
export interface LeaseStore {
  /** A grant when `owner` now holds `key` until `nowMs + ttlMs` (it was free, expired, or already `owner`'s). */
  tryAcquire(key: string, owner: string, ttlMs: number, nowMs?: number): Promise<LeaseGrant | undefined>;
  /** Gives `key` up if `owner` holds it (conditional: never frees another holder's lease), leaving `memo`. */
  release(key: string, owner: string, memo?: unknown): Promise<void>;
  /** Says `instance` is alive until `nowMs + ttlMs`. */
  heartbeat(instance: string, ttlMs: number, nowMs?: number): Promise<void>;
  /** Instances whose last heartbeat is still on record, with the time it runs out. */
  instances(): Promise<Array<{ instance: string; until: number }>>;
}

/**
 * A lane (one escalation and direction) while several instances serve: who delivers it now, until when, and the
 * lines waiting for delivery in the order they were received, whichever instance accepted them.
 */
export interface LaneDoc {
  holder?: string;
  until: number;
  /** Transcript entry ids, oldest first. */
  queue: string[];
  /** What the last holder left for the next (the lane's recent sends, for Teams' rate limits). */
  memo?: unknown;
}

/** Lane documents: every change is conditional, so instances never overwrite each other's. */
export interface LaneStore {
  get(key: string): Promise<Versioned<LaneDoc> | undefined>;
  /** Creates `key` without `etag` (ConflictError if it exists); with it, replaces only that version (ConcurrencyError). */
  put(key: string, doc: LaneDoc, etag?: string): Promise<Versioned<LaneDoc>>;
}

/** Small named settings documents (e.g. the agent channel chosen in Teams). */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

export interface HandoverStore {
  escalations: EscalationStore;
  lookups: LookupStore;
  transcripts: TranscriptStore;
  settings: SettingsStore;
  leases: LeaseStore;
  lanes: LaneStore;
  /** Resolves when the store answers (health check). */
  ping(): Promise<void>;
}

/**
 * What the outbound edge knows about a lane's conversation that the next instance delivering there needs (the recent
 * calls its rate-limit windows count). Handed over with the lane's lease when instances share the store.
 */
export interface LaneMemory {
  export(e: Escalation, direction: 'toDesk' | 'toCustomer'): unknown;
  import(e: Escalation, direction: 'toDesk' | 'toCustomer', memo: unknown): void;
  /** How many instances serve now (this one included). */
  instances(count: number): void;
}

/** A message on its way out, to the customer or to the desk. */
export interface OutboundMessage {
  text: string;
  /** Display name of who speaks (the agent's name, or the service's). */
  from?: string;
}

/** The customer's own chat (Teams, through the Copilot Studio agent's registration). */
export interface CustomerChannel {
  send(e: Escalation, message: OutboundMessage): Promise<void>;
}

/** Where agents work (a Teams channel today). */
export interface AgentDesk {
  /** Announces a new escalation; returns where it lives on the desk. */
  announce(e: Escalation): Promise<DeskRef>;
  /** Shows the escalation's current state (the card update). */
  refresh(e: Escalation): Promise<void>;
  /** Posts a line into the escalation's place on the desk. */
  post(e: Escalation, message: OutboundMessage & { kind: 'customer' | 'notice' | 'note' }): Promise<void>;
}

export type { AgentRef };
