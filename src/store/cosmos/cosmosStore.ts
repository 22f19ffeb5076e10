/**
 * The store on Azure Cosmos DB. Every hot path is a point read (partition key = id); state changes are
 * conditional on the item's _etag; a lost race is a ConcurrencyError, a taken id a ConflictError.
 */
import { hash } from 'node:crypto';
import type { Container, CosmosClient, Database } from '@azure/cosmos';
import type { Escalation } from '../../core/escalation';
import type { DeliveryItemStore, EscalationStore, LookupStore, Versioned } from '../../core/ports';
import type { CardItem, OutboxItem, TranscriptEntry } from '../../core/transcript';
import { laneEntries, type InstanceRecord, type LaneDoc } from '../../delivery/ports';
import type { HandoverStore } from '../handoverStore';
import { mapCosmosError, mapReplaceError, statusOf, withTransientRetry } from './cosmosErrors';
import { UNSETTLED_AT, queryAll, strip, timerQueries, versioned, type Stored } from './cosmosQueries';

export interface CosmosStoreOptions {
  database: string;
  /** How long a closed escalation and its transcript are kept (Cosmos TTL, seconds). */
  retentionSeconds: number;
}

/** Containers and their partition keys: each chosen so the hot path is one point read. */
export const containers = {
  escalations: { id: 'escalations', partitionKey: '/id' },
  lookups: { id: 'lookups', partitionKey: '/id' },
  transcripts: { id: 'transcripts', partitionKey: '/escalationId' },
  outbox: { id: 'outbox', partitionKey: '/escalationId' },
  settings: { id: 'settings', partitionKey: '/id' },
  leases: { id: 'leases', partitionKey: '/id' },
} as const;


async function ensure(client: CosmosClient, options: CosmosStoreOptions): Promise<Database> {
  try {
    const { database } = await withTransientRetry(() => client.databases.createIfNotExists({ id: options.database }));
    for (const c of Object.values(containers)) {
      // defaultTtl -1: TTL is on, but only items that carry a `ttl` expire.
      await withTransientRetry(() => database.containers.createIfNotExists({ id: c.id, partitionKey: { paths: [c.partitionKey] }, defaultTtl: -1 }));
    }
    return database;
  } catch (err) {
    return mapCosmosError(err, `database ${options.database}`);
  }
}

/** What Cosmos DB refuses as an id: `/`, `\\`, `?`, `#` (the SDK throws before any request), or over 1,023 bytes. */
const UNFIT_ID = /[/\\?#]/;
const fitsAsId = (id: string) => (id.length <= 341 || Buffer.byteLength(id) <= 1023) && !UNFIT_ID.test(id);

/**
 * A key as a document id: itself when Cosmos takes it, else a digest of it. Look-up and setting keys carry ids from
 * outside (a desk's conversation ids, webhook ids, Teams ids), which must not turn into a store outage.
 */
export const docIdOf = (key: string): string => (fitsAsId(key) ? key : `~${hash('sha256', key, 'hex')}`);

async function pointRead<T>(container: Container, id: string, pk: string, what: string): Promise<Versioned<T> | undefined> {
  if (!fitsAsId(id)) return undefined; // nothing we store has such an id (a caller's id from outside, say)
  try {
    const { resource } = await withTransientRetry(() => container.item(id, pk).read<Stored<T>>());
    return resource ? { value: strip(resource), etag: resource._etag ?? '' } : undefined;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    return mapCosmosError(err, what);
  }
}

export async function createCosmosStore(client: CosmosClient, options: CosmosStoreOptions): Promise<HandoverStore> {
  const database = await ensure(client, options);
  const esc = database.container(containers.escalations.id);
  const lk = database.container(containers.lookups.id);
  const tr = database.container(containers.transcripts.id);
  const retention = options.retentionSeconds;
  const queries = timerQueries(esc, tr);

  /**
   * A closed escalation expires after the retention; an open one never does. While events wait to be settled the
   * document also carries `unsettledAt` (its change's time), a scalar the range index serves: the sweep's query then
   * reads only those documents, not every one kept for the retention (no index serves ARRAY_LENGTH).
   */
  const escDoc = (e: Escalation): Stored<Escalation> => ({
    ...e,
    ...(e.unsettled?.length ? { [UNSETTLED_AT]: e.updatedAt } : {}),
    ...(e.status === 'closed' ? { ttl: retention } : {}),
  });

  const escalations: EscalationStore = {
    ...queries.escalations,
    get: (id) => pointRead<Escalation>(esc, id, id, `escalation ${id}`),
    async create(e) {
      try {
        const { resource } = await withTransientRetry(() => esc.items.create<Stored<Escalation>>(escDoc(e)));
        return { value: e, etag: resource?._etag ?? '' };
      } catch (err) {
        return mapCosmosError(err, `escalation ${e.id}`);
      }
    },
    async replace(e, etag) {
      try {
        const { resource } = await withTransientRetry(() => esc.item(e.id, e.id).replace<Stored<Escalation>>(escDoc(e), { accessCondition: { type: 'IfMatch', condition: etag } }));
        return { value: e, etag: resource?._etag ?? '' };
      } catch (err) {
        return mapReplaceError(err, `escalation ${e.id}`);
      }
    },
    async unsettled(beforeIso, limit) {
      const rows = await queryAll<Stored<Escalation>>(
        esc,
        `SELECT TOP @limit * FROM c WHERE c.${UNSETTLED_AT} < @before`,
        [{ name: '@limit', value: limit }, { name: '@before', value: beforeIso }],
        'unsettled escalations',
      );
      return rows.map((r) => versioned(r));
    },
  };

  // A look-up carries twice the retention from its last write, which covers an escalation open for up to the
  // retention; so a customer's look-up can outlive its closed escalation's record by up to the retention
  // (Handover.start then names a new escalation). `at` is when the key was pointed.
  const lookupDoc = (key: string, escalationId: string, at?: string) => ({ id: docIdOf(key), escalationId, ...(at ? { at } : {}), ttl: retention * 2 });
  const lookupOf = (escalationId: string, etag: string, at: string | undefined) => ({ value: escalationId, etag, ...(at ? { at } : {}) });
  const lookups: LookupStore = {
    async get(key) {
      const id = docIdOf(key);
      const found = await pointRead<{ escalationId: string; at?: string }>(lk, id, id, `lookup ${key}`);
      return found ? lookupOf(found.value.escalationId, found.etag, found.value.at) : undefined;
    },
    async create(key, escalationId, at) {
      try {
        const { resource } = await withTransientRetry(() => lk.items.create(lookupDoc(key, escalationId, at)));
        return lookupOf(escalationId, resource?._etag ?? '', at);
      } catch (err) {
        return mapCosmosError(err, `lookup ${key}`);
      }
    },
    async replace(key, escalationId, etag, at) {
      try {
        const id = docIdOf(key);
        const { resource } = await withTransientRetry(() => lk.item(id, id).replace(lookupDoc(key, escalationId, at), { accessCondition: { type: 'IfMatch', condition: etag } }));
        return lookupOf(escalationId, resource?._etag ?? '', at);
      } catch (err) {
        return mapReplaceError(err, `lookup ${key}`);
      }
    },
  };

  const ob = database.container(containers.outbox.id);
  const lines = itemStore<TranscriptEntry>(tr, retention * 2);
  const transcripts = {
    ...lines,
    ...queries.transcripts,
    async list(escalationId: string) {
      // The escalation id is in the filter too, not only the partition key: an emulator may ignore the latter.
      const rows = await queryAll<Stored<TranscriptEntry>>(tr, 'SELECT * FROM c WHERE c.escalationId = @id ORDER BY c.seq', [{ name: '@id', value: escalationId }], `transcript of ${escalationId}`, escalationId);
      return rows.map((r) => strip<TranscriptEntry>(r));
    },
    async lastLineAt(escalationId: string) {
      const rows = await queryAll<{ at: string }>(
        tr,
        'SELECT TOP 1 c.at FROM c WHERE c.escalationId = @id AND (c.kind = "customer" OR c.kind = "agent") ORDER BY c.seq DESC',
        [{ name: '@id', value: escalationId }],
        `transcript of ${escalationId}`,
        escalationId,
      );
      return rows[0]?.at;
    },
  };

  const st = database.container(containers.settings.id);
  const ls = database.container(containers.leases.id);
  return {
    escalations,
    lookups,
    transcripts,
    settings: {
      async get<T>(key: string) {
        const id = docIdOf(key);
        const found = await pointRead<{ value: T }>(st, id, id, `setting ${key}`);
        return found?.value.value;
      },
      async put<T>(key: string, value: T) {
        try {
          await withTransientRetry(() => st.items.upsert({ id: docIdOf(key), value }));
        } catch (err) {
          mapCosmosError(err, `setting ${key}`);
        }
      },
    },
    outbox: itemStore<CardItem>(ob, retention * 2),
    instances: {
      async heartbeat(instance, ttlMs, nowMs, note = {}) {
        try {
          // The record outlives the heartbeat by an hour: peers still see a recently dead instance.
          await withTransientRetry(() => ls.items.upsert({ id: `instance|${instance}`, kind: 'instance', instance, until: nowMs + ttlMs, at: nowMs, sees: note.sees ?? [], gone: note.gone === true, ttl: Math.ceil(ttlMs / 1000) + 3600 }));
        } catch (err) {
          mapCosmosError(err, `heartbeat of ${instance}`);
        }
      },
      async instances() {
        try {
          const { resources } = await withTransientRetry(() =>
            ls.items.query<InstanceRecord>({ query: 'SELECT c.instance, c.until, c.at, c.sees, c.gone FROM c WHERE c.kind = "instance"' }).fetchAll(),
          );
          return resources.map((r) => ({ instance: r.instance, until: r.until, at: typeof r.at === 'number' ? r.at : undefined, sees: Array.isArray(r.sees) ? r.sees : [], gone: r.gone === true }));
        } catch (err) {
          return mapCosmosError(err, 'instances');
        }
      },
    },
    lanes: {
      async get(key) {
        const found = await pointRead<LaneDoc>(ls, key, key, `lane ${key}`);
        return found && { value: laneOf(found.value), etag: found.etag };
      },
      async put(key, doc, etag) {
        // An empty lane document outlives its last change by a day; one that lists entries never expires (its queued
        // lines have no other record of being undelivered), however long no process runs.
        const stored = { id: key, kind: 'lane', ...doc, ttl: doc.queue.length > 0 ? -1 : 86_400 };
        try {
          const { resource } = etag
            ? await withTransientRetry(() => ls.item(key, key).replace(stored, { accessCondition: { type: 'IfMatch', condition: etag } }))
            : await withTransientRetry(() => ls.items.create(stored));
          return { value: laneOf(doc), etag: resource?._etag ?? '' };
        } catch (err) {
          return (etag ? mapReplaceError : mapCosmosError)(err, `lane ${key}`);
        }
      },
      async stalled(nowMs, limit) {
        const rows = await queryAll<{ id: string }>(
          ls,
          // `until > 0` first: given-back lanes (until 0, kept a day) are most of them, and the range index leaves them
          // out before ARRAY_LENGTH (which no index serves) looks at a document. A lane that lists entries is held.
          'SELECT TOP @limit c.id FROM c WHERE c.kind = "lane" AND c.until > 0 AND c.until < @now AND ARRAY_LENGTH(c.queue) > 0',
          [{ name: '@limit', value: limit }, { name: '@now', value: nowMs }],
          'stalled lanes',
        );
        return rows.map((r) => r.id);
      },
    },
    async ping() {
      try {
        await withTransientRetry(() => database.read());
      } catch (err) {
        mapCosmosError(err, 'health check');
      }
    },
  };
}

/** Items with a delivery state in a container partitioned by escalation (transcript lines, outbox items). */
function itemStore<T extends OutboxItem>(container: Container, ttl: number): DeliveryItemStore<T> {
  const doc = (item: T) => ({ ...item, ttl });
  return {
    async append(item) {
      try {
        const { resource } = await withTransientRetry(() => container.items.create(doc(item)));
        return { value: item, etag: resource?._etag ?? '' };
      } catch (err) {
        return mapCosmosError(err, `outbox item ${item.id}`);
      }
    },
    async replace(item, etag) {
      try {
        const options = etag ? { accessCondition: { type: 'IfMatch', condition: etag } } : {};
        const { resource } = await withTransientRetry(() => container.item(item.id, item.escalationId).replace(doc(item), options));
        return { value: item, etag: resource?._etag ?? '' };
      } catch (err) {
        return mapReplaceError(err, `outbox item ${item.id}`);
      }
    },
    get: (escalationId, id) => pointRead<T>(container, id, escalationId, `outbox item ${id}`),
    async reclaimable(nowMs, limit) {
      // The filter is the query's own: a backlog of items under live leases never hides the orphans behind it.
      const rows = await queryAll<Stored<T>>(
        container,
        'SELECT TOP @limit * FROM c WHERE c.delivery.state = "pending" AND c.delivery.leaseUntil < @now ORDER BY c.seq',
        [{ name: '@limit', value: limit }, { name: '@now', value: nowMs }],
        'reclaimable deliveries',
      );
      return rows.map((r) => versioned(r));
    },
    async leasedElsewhere(me, nowMs, limit) {
      const rows = await queryAll<Stored<T>>(
        container,
        'SELECT TOP @limit * FROM c WHERE c.delivery.state = "pending" AND c.delivery.leaseUntil >= @now AND c.delivery.leaseOwner != @me ORDER BY c.seq',
        [{ name: '@limit', value: limit }, { name: '@now', value: nowMs }, { name: '@me', value: me }],
        'deliveries leased elsewhere',
      );
      return rows.map((r) => versioned(r));
    },
  };
}

/** Only the lane's own fields (no Cosmos system fields, no `kind`/`ttl`). */
function laneOf(doc: LaneDoc): LaneDoc {
  // Fields the document does not have stay absent (as the in-memory store gives them back).
  const { holder, until, last, dropped, memo } = doc;
  const optional = Object.fromEntries(Object.entries({ holder, last, dropped, memo }).filter(([, v]) => v !== undefined));
  return { ...optional, until, queue: laneEntries(doc.queue) };
}
