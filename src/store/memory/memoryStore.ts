/** In-memory store: for the core's unit tests and the benchmark's baseline. Same contract as the Cosmos one. */
import { randomUUID } from 'node:crypto';
import type { Escalation } from '../../core/escalation';
import { ConcurrencyError, ConflictError } from '../../core/errors';
import type { EscalationStore, HandoverStore, LaneDoc, LookupStore, TranscriptStore, Versioned } from '../../core/ports';
import { bySeq, type TranscriptEntry } from '../../core/transcript';

/** A map of JSON copies with ETags, so callers can never mutate what is stored. */
class Table<T> {
  private readonly rows = new Map<string, { json: string; etag: string }>();

  get(id: string): Versioned<T> | undefined {
    const row = this.rows.get(id);
    return row ? { value: JSON.parse(row.json) as T, etag: row.etag } : undefined;
  }

  create(id: string, value: T, what: string): Versioned<T> {
    if (this.rows.has(id)) throw new ConflictError(what);
    return this.put(id, value);
  }

  replace(id: string, value: T, etag: string | undefined, what: string): Versioned<T> {
    const row = this.rows.get(id);
    if (!row || (etag !== undefined && row.etag !== etag)) throw new ConcurrencyError(what);
    return this.put(id, value);
  }

  ids(): string[] {
    return [...this.rows.keys()];
  }

  values(): T[] {
    return [...this.rows.values()].map((r) => JSON.parse(r.json) as T);
  }

  private put(id: string, value: T): Versioned<T> {
    const etag = randomUUID();
    this.rows.set(id, { json: JSON.stringify(value), etag });
    return { value: JSON.parse(JSON.stringify(value)) as T, etag };
  }
}

export function createMemoryStore(): HandoverStore {
  const escalations = new Table<Escalation>();
  const lookups = new Table<string>();
  const transcripts = new Table<TranscriptEntry>();

  const escalationStore: EscalationStore = {
    async get(id) {
      return escalations.get(id);
    },
    async create(e) {
      return escalations.create(e.id, e, `escalation ${e.id}`);
    },
    async replace(e, etag) {
      return escalations.replace(e.id, e, etag, `escalation ${e.id}`);
    },
  };
  const lookupStore: LookupStore = {
    async get(key) {
      return lookups.get(key);
    },
    async create(key, escalationId) {
      return lookups.create(key, escalationId, `lookup ${key}`);
    },
    async replace(key, escalationId, etag) {
      return lookups.replace(key, escalationId, etag, `lookup ${key}`);
    },
  };
  const transcriptStore: TranscriptStore = {
    async append(entry) {
      return transcripts.create(entry.id, entry, `transcript entry ${entry.id}`);
    },
    async replace(entry, etag) {
      return transcripts.replace(entry.id, entry, etag, `transcript entry ${entry.id}`);
    },
    async reclaimable(owner, nowMs, limit) {
      return transcripts
        .ids()
        .map((id) => transcripts.get(id)!)
        .filter(({ value: t }) => t.delivery.state === 'pending' && ((t.delivery.leaseUntil ?? 0) < nowMs || t.delivery.leaseOwner === owner))
        .sort((a, b) => bySeq(a.value, b.value))
        .slice(0, limit);
    },
    async get(_escalationId, id) {
      return transcripts.get(id);
    },
    async list(escalationId) {
      return transcripts
        .values()
        .filter((t) => t.escalationId === escalationId)
        .sort(bySeq);
    },
  };
  const settings = new Map<string, string>();
  const leases = new Map<string, { owner: string; until: number; memo?: unknown }>();
  const beats = new Map<string, number>();
  const lanes = new Map<string, { doc: LaneDoc; etag: string }>();
  return {
    escalations: escalationStore,
    lookups: lookupStore,
    transcripts: transcriptStore,
    settings: {
      async get<T>(key: string) {
        const json = settings.get(key);
        return json === undefined ? undefined : (JSON.parse(json) as T);
      },
      async put<T>(key: string, value: T) {
        settings.set(key, JSON.stringify(value));
      },
    },
    leases: {
      async tryAcquire(key, owner, ttlMs, nowMs = Date.now()) {
        const held = leases.get(key);
        if (held && held.owner !== owner && held.until > nowMs) return undefined;
        leases.set(key, { owner, until: nowMs + ttlMs, memo: held?.memo });
        return { memo: held?.memo };
      },
      async release(key, owner, memo) {
        const held = leases.get(key);
        if (held?.owner === owner) leases.set(key, { owner, until: 0, memo: memo ?? held.memo });
      },
      async heartbeat(instance, ttlMs, nowMs = Date.now()) {
        beats.set(instance, nowMs + ttlMs);
      },
      async instances() {
        return [...beats].map(([instance, until]) => ({ instance, until }));
      },
    },
    lanes: {
      async get(key) {
        const found = lanes.get(key);
        return found && { value: structuredClone(found.doc), etag: found.etag };
      },
      async put(key, doc, etag) {
        const found = lanes.get(key);
        if (etag === undefined && found) throw new ConflictError(`lane ${key}`);
        if (etag !== undefined && found?.etag !== etag) throw new ConcurrencyError(`lane ${key}`);
        const saved = { doc: structuredClone(doc), etag: randomUUID() };
        lanes.set(key, saved);
        return { value: structuredClone(doc), etag: saved.etag };
      },
    },
    ping: async () => undefined,
  };
}
