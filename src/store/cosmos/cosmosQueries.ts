/**
 * The store's queries (everything that is not a point read or a write): the sweeps', and the few the timers need.
 * Each is one query; none runs on the message path.
 */
import type { Container, ItemDefinition, SqlParameter } from '@azure/cosmos';
import type { Escalation } from '../../core/escalation';
import { DEFAULT_QUEUE } from '../../core/escalation';
import type { Versioned } from '../../core/ports';
import { lineFacts, type LineFacts } from '../../core/timers';
import { mapCosmosError, withTransientRetry } from './cosmosErrors';

export type Stored<T> = T & ItemDefinition & { _etag?: string; ttl?: number };

/** The store's own field on an escalation with events to settle (cosmosStore's `escDoc`); not part of the record. */
export const UNSETTLED_AT = 'unsettledAt';

export function strip<T>(doc: Stored<T>): T {
  const { _etag, _rid, _self, _ts, _attachments, ttl, [UNSETTLED_AT]: unsettledAt, ...rest } = doc as Record<string, unknown>;
  void _etag; void _rid; void _self; void _ts; void _attachments; void ttl; void unsettledAt;
  return rest as T;
}

/** A stored document as the store port hands it out: its fields, and its ETag for conditional writes. */
export function versioned<T>(doc: Stored<T>): Versioned<T> {
  return { value: strip<T>(doc), etag: doc._etag ?? '' };
}

export async function queryAll<T>(container: Container, query: string, parameters: SqlParameter[], what: string, partitionKey?: string): Promise<T[]> {
  try {
    const { resources } = await withTransientRetry(() => container.items.query<T>({ query, parameters }, partitionKey ? { partitionKey } : {}).fetchAll());
    return resources;
  } catch (err) {
    return mapCosmosError(err, what);
  }
}

/** Escalations of a queue; records from before queues existed have no `queue` and belong to the default one. */
const inQueue = '(c.queue = @queue OR (@queue = @default AND NOT IS_DEFINED(c.queue)))';

export function timerQueries(escalations: Container, transcripts: Container) {
  return {
    escalations: {
      async due(nowIso: string, limit: number) {
        const rows = await queryAll<Stored<Escalation>>(
          escalations,
          'SELECT TOP @limit * FROM c WHERE IS_DEFINED(c.dueAt) AND c.dueAt <= @now ORDER BY c.dueAt',
          [{ name: '@limit', value: limit }, { name: '@now', value: nowIso }],
          'due timers',
        );
        return rows.map((r) => versioned(r));
      },
      async waiting(queue: string) {
        return queryAll<{ id: string; createdAt: string }>(
          escalations,
          `SELECT c.id, c.createdAt FROM c WHERE c.status = "queued" AND ${inQueue}`,
          [{ name: '@queue', value: queue }, { name: '@default', value: DEFAULT_QUEUE }],
          `queue ${queue}`,
        );
      },
      async open(limit: number) {
        const rows = await queryAll<Stored<Escalation>>(escalations, 'SELECT TOP @limit * FROM c WHERE c.status != "closed" ORDER BY c.createdAt', [{ name: '@limit', value: limit }], 'open escalations');
        return rows.map((r) => strip<Escalation>(r));
      },
      async countWaiting(queue: string, of: { id: string; createdAt: string }) {
        const rows = await queryAll<number>(
          escalations,
          `SELECT VALUE COUNT(1) FROM c WHERE c.status = "queued" AND ${inQueue} AND (c.createdAt < @before OR (c.createdAt = @before AND c.id < @id))`,
          [{ name: '@queue', value: queue }, { name: '@default', value: DEFAULT_QUEUE }, { name: '@before', value: of.createdAt }, { name: '@id', value: of.id }],
          `queue ${queue}`,
        );
        return rows[0] ?? 0;
      },
      async claimWaits(queue: string, sinceIso: string) {
        const rows = await queryAll<{ w: number }>(
          escalations,
          `SELECT c.claimWaitSeconds AS w FROM c WHERE IS_DEFINED(c.claimWaitSeconds) AND c.claimedAt >= @since AND ${inQueue}`,
          [{ name: '@since', value: sinceIso }, { name: '@queue', value: queue }, { name: '@default', value: DEFAULT_QUEUE }],
          `claim waits of ${queue}`,
        );
        return rows.map((r) => r.w);
      },
      async ratings(sinceIso: string) {
        const rows = await queryAll<{ queue?: string; score: number }>(
          escalations,
          'SELECT c.queue, c.survey.score AS score FROM c WHERE IS_DEFINED(c.survey.score) AND c.survey.answeredAt >= @since',
          [{ name: '@since', value: sinceIso }],
          'ratings',
        );
        return rows.map((r) => ({ queue: r.queue ?? DEFAULT_QUEUE, score: r.score }));
      },
    },
    transcripts: {
      /**
       * Two queries of one row each, in the escalation's partition: the newest agent line, then the first customer
       * line after it. However long the unanswered stretch, its start stays where it is.
       */
      async lineFacts(escalationId: string): Promise<LineFacts> {
        const what = `transcript of ${escalationId}`;
        const [agent] = await queryAll<{ seq: string; at: string }>(
          transcripts,
          'SELECT TOP 1 c.seq, c.at FROM c WHERE c.escalationId = @id AND c.kind = "agent" ORDER BY c.seq DESC',
          [{ name: '@id', value: escalationId }],
          what,
          escalationId,
        );
        const [customer] = await queryAll<{ at: string }>(
          transcripts,
          'SELECT TOP 1 c.at FROM c WHERE c.escalationId = @id AND c.kind = "customer" AND c.seq > @after ORDER BY c.seq ASC',
          [{ name: '@id', value: escalationId }, { name: '@after', value: agent?.seq ?? '' }],
          what,
          escalationId,
        );
        return lineFacts(agent?.at, customer?.at);
      },
    },
  };
}
