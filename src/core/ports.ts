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

/** Short-lived exclusive leases (a lane's recovery, timers later): exactly one holder until expiry. */
export interface LeaseStore {
  /** True when `owner` now holds `key` until `nowMs + ttlMs` (it was free, expired, or already `owner`'s). */
  tryAcquire(key: string, owner: string, ttlMs: number, nowMs?: number): Promise<boolean>;
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
  /** Resolves when the store answers (health check). */
  ping(): Promise<void>;
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
