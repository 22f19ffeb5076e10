/** In-memory store: for the core's unit tests and the benchmark's baseline. Same contract as the Cosmos one. */
import { randomUUID } from 'node:crypto';
import { queueOf, type Escalation } from '../../core/escalation';
import { lineFacts } from '../../core/timers';
import { ConcurrencyError, ConflictError } from '../../core/errors';
import type { DeliveryItemStore, EscalationStore, Lookup, LookupStore, Versioned } from '../../core/ports';
import { bySeq, type CardItem, type OutboxItem, type TranscriptEntry } from '../../core/transcript';
import type { LaneDoc } from '../../delivery/ports';
import type { HandoverStore } from '../handoverStore';

/**
 * A frozen copy all the way down, with JSON's meaning (what Cosmos would store and give back): `toJSON` is used,
 * undefined and functions are dropped (null in arrays), non-finite numbers become null. One pass instead of a JSON
 * round trip and a second pass to freeze: the benchmark's profile had that round trip as our code's largest cost
 * per line in the in-memory mode (docs/BENCHMARKS.md). A frozen object is one this store made (nothing else in the
 * service freezes what it stores) and is shared as it is: a line's delivered state reuses every part of the stored line
 * but its delivery, so only that part is copied.
 */
export function frozenCopy(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (Object.isFrozen(value)) return value;
  const v = value as { toJSON?: () => unknown };
  if (typeof v.toJSON === 'function') return frozenCopy(v.toJSON());
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = frozenCopy(value[i]) ?? null;
    return Object.freeze(out);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as object)) {
    const copied = frozenCopy((value as Record<string, unknown>)[key]);
    if (copied !== undefined) out[key] = copied;
  }
  return Object.freeze(out);
}

/** ETags only need to differ between the versions of a row: a counter, unique per store instance and process. */
let writes = 0;
const etagPrefix = `${randomUUID().slice(0, 8)}-`;

/**
 * A map of frozen copies with ETags, so callers can never mutate what is stored (an attempt throws), and reads need
 * no copy: the benchmark's in-memory mode measured parsing a JSON copy at each read as a third of its extra cost per
 * line toward the desk. With `groupOf`, rows are also indexed by group (an escalation's lines), so reading one
 * escalation's rows does not read every row.
 */
class Table<T> {
  private readonly rows = new Map<string, { value: T; etag: string; group?: string }>();
  private readonly groups = new Map<string, Set<string>>();

  constructor(private readonly groupOf?: (value: T) => string) {}

  inGroup(group: string): T[] {
    return [...(this.groups.get(group) ?? [])].map((id) => this.get(id)!.value);
  }

  get(id: string): Versioned<T> | undefined {
    const row = this.rows.get(id);
    return row ? { value: row.value, etag: row.etag } : undefined;
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

  all(): Array<Versioned<T>> {
    return this.ids().map((id) => this.get(id)!);
  }

  ids(): string[] {
    return [...this.rows.keys()];
  }

  private put(id: string, value: T): Versioned<T> {
    const group = this.groupOf?.(value);
    const old = this.rows.get(id);
    if (old?.group !== undefined && old.group !== group) this.groups.get(old.group)?.delete(id);
    if (group !== undefined && old?.group !== group) {
      const ids = this.groups.get(group) ?? new Set<string>();
      ids.add(id);
      this.groups.set(group, ids);
    }
    const etag = `${etagPrefix}${++writes}`;
    // A copy of its own, frozen: readers share it without copying again, and a caller that changed a stored object in
    // place (which Cosmos would not see) fails loudly here.
    const stored = frozenCopy(value) as T;
    this.rows.set(id, { value: stored, etag, group });
    return { value: stored, etag };
  }
}

function lookupOf(row: Versioned<{ escalationId: string; at?: string }> | undefined): Lookup | undefined {
  return row && { value: row.value.escalationId, etag: row.etag, ...(row.value.at ? { at: row.value.at } : {}) };
}

function itemStore<T extends OutboxItem>(table: Table<T>): DeliveryItemStore<T> {
  return {
    async append(item) {
      return table.create(item.id, item, `outbox item ${item.id}`);
    },
    async replace(item, etag) {
      return table.replace(item.id, item, etag, `outbox item ${item.id}`);
    },
    async get(_escalationId, id) {
      return table.get(id);
    },
    async reclaimable(nowMs, limit) {
      return table
        .all()
        .filter(({ value: t }) => t.delivery.state === 'pending' && (t.delivery.leaseUntil ?? 0) < nowMs)
        .sort((a, b) => bySeq(a.value, b.value))
        .slice(0, limit);
    },
    async leasedElsewhere(me, nowMs, limit) {
      return table
        .all()
        .filter(({ value: { delivery: d } }) => d.state === 'pending' && (d.leaseUntil ?? 0) >= nowMs && d.leaseOwner !== me)
        .sort((a, b) => bySeq(a.value, b.value))
        .slice(0, limit);
    },
  };
}

export function createMemoryStore(): HandoverStore {
  const escalations = new Table<Escalation>((e) => `${e.status}|${queueOf(e)}`);
  const lookups = new Table<{ escalationId: string; at?: string }>();
  const transcripts = new Table<TranscriptEntry>((t) => t.escalationId);
  const cards = new Table<CardItem>();

  const escalationStore: EscalationStore = {
    get: async (id) => escalations.get(id),
    create: async (e) => escalations.create(e.id, e, `escalation ${e.id}`),
    replace: async (e, etag) => escalations.replace(e.id, e, etag, `escalation ${e.id}`),
    async unsettled(beforeIso, limit) {
      return escalations.all().filter(({ value }) => (value.unsettled?.length ?? 0) > 0 && value.updatedAt < beforeIso).slice(0, limit);
    },
    async due(nowIso, limit) {
      return escalations
        .all()
        .filter(({ value }) => value.dueAt !== undefined && value.dueAt <= nowIso)
        .sort((a, b) => (a.value.dueAt! < b.value.dueAt! ? -1 : 1))
        .slice(0, limit);
    },
    async waiting(queue) {
      return escalations.inGroup(`queued|${queue}`).map((e) => ({ id: e.id, createdAt: e.createdAt }));
    },
    async open(limit) {
      return escalations
        .all()
        .map((v) => v.value)
        .filter((e) => e.status !== 'closed')
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
        .slice(0, limit);
    },
    async countWaiting(queue, of) {
      return escalations.inGroup(`queued|${queue}`).filter((e) => e.createdAt < of.createdAt || (e.createdAt === of.createdAt && e.id < of.id)).length;
    },
    async claimWaits(queue, sinceIso) {
      return escalations
        .all()
        .filter(({ value }) => queueOf(value) === queue && value.claimWaitSeconds !== undefined && (value.claimedAt ?? '') >= sinceIso)
        .map(({ value }) => value.claimWaitSeconds!);
    },
    async ratings(sinceIso) {
      return escalations
        .all()
        .filter(({ value }) => value.survey?.score !== undefined && (value.survey.answeredAt ?? '') >= sinceIso)
        .map(({ value }) => ({ queue: queueOf(value), score: value.survey!.score! }));
    },
  };
  const lookupStore: LookupStore = {
    get: async (key) => lookupOf(lookups.get(key)),
    create: async (key, escalationId, at) => lookupOf(lookups.create(key, { escalationId, at }, `lookup ${key}`))!,
    replace: async (key, escalationId, etag, at) => lookupOf(lookups.replace(key, { escalationId, at }, etag, `lookup ${key}`))!,
  };
  const settings = new Map<string, string>();
  const beats = new Map<string, { until: number; at: number; sees: string[]; gone: boolean }>();
  const lanes = new Table<LaneDoc>();
  return {
    escalations: escalationStore,
    lookups: lookupStore,
    transcripts: {
      ...itemStore(transcripts),
      async list(escalationId) {
        return transcripts.inGroup(escalationId).sort(bySeq);
      },
      async lastLineAt(escalationId) {
        const said = transcripts.inGroup(escalationId).filter((t) => t.kind === 'customer' || t.kind === 'agent').sort(bySeq);
        return said.at(-1)?.at;
      },
      async lineFacts(escalationId) {
        const said = transcripts.inGroup(escalationId).filter((t) => t.kind === 'customer' || t.kind === 'agent').sort(bySeq);
        const agent = [...said].reverse().find((t) => t.kind === 'agent');
        const customer = said.find((t) => t.kind === 'customer' && (!agent || t.seq > agent.seq));
        return lineFacts(agent?.at, customer?.at);
      },
    },
    outbox: itemStore(cards),
    settings: {
      async get<T>(key: string) {
        const json = settings.get(key);
        return json === undefined ? undefined : (JSON.parse(json) as T);
      },
      async put<T>(key: string, value: T) {
        settings.set(key, JSON.stringify(value));
      },
    },
    instances: {
      async heartbeat(instance, ttlMs, nowMs, note = {}) {
        beats.set(instance, { until: nowMs + ttlMs, at: nowMs, sees: [...(note.sees ?? [])], gone: note.gone === true });
      },
      async instances() {
        return [...beats].map(([instance, { until, at, sees, gone }]) => ({ instance, until, at, sees: [...sees], gone }));
      },
    },
    lanes: {
      get: async (key) => lanes.get(key),
      put: async (key, doc, etag) => (etag === undefined ? lanes.create(key, doc, `lane ${key}`) : lanes.replace(key, doc, etag, `lane ${key}`)),
      async stalled(nowMs, limit) {
        return lanes.ids().filter((key) => {
          const doc = lanes.get(key)!.value;
          return doc.until > 0 && doc.until < nowMs && doc.queue.length > 0;
        }).slice(0, limit);
      },
    },
    ping: async () => undefined,
  };
}
