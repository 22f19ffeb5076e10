/**
 * The relay: every line is stored before it is acknowledged, then delivered in order per escalation and
 * direction, retried on transient failures, and reported visibly when it finally cannot be delivered.
 */
import pRetry from 'p-retry';
import type { Escalation } from './escalation';
import { ConflictError, DeliveryError } from './errors';
import type { Logger } from './logger';
import { notices } from './notices';
import type { AgentDesk, CustomerChannel, HandoverStore } from './ports';
import type { TranscriptEntry } from './transcript';

export interface RelayOptions {
  /** Attempts per delivery before it is reported as failed. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const defaultRelayOptions: RelayOptions = { retries: 6, minDelayMs: 200, maxDelayMs: 10_000 };

type Lane = 'desk' | 'customer';

export class Relay {
  private readonly lanes = new Map<string, Promise<void>>();

  constructor(
    private readonly store: HandoverStore,
    private readonly customer: CustomerChannel,
    private readonly desk: AgentDesk,
    private readonly log: Logger,
    private readonly options: RelayOptions = defaultRelayOptions,
  ) {}

  /**
   * Stores an entry. Returns `duplicate: true` when an entry from the same inbound activity exists,
   * so a retried activity is processed once. Store failures propagate (the edge answers 503).
   */
  async record(entry: TranscriptEntry): Promise<{ entry: TranscriptEntry; duplicate: boolean }> {
    try {
      return { entry: await this.store.transcripts.append(entry), duplicate: false };
    } catch (err) {
      if (err instanceof ConflictError) return { entry, duplicate: true };
      throw err;
    }
  }

  /** Queues delivery of a stored entry. The returned promise settles when it is delivered or given up. */
  dispatch(e: Escalation, entry: TranscriptEntry): Promise<void> {
    if (entry.direction === 'internal') return Promise.resolve();
    const lane: Lane = entry.direction === 'toDesk' ? 'desk' : 'customer';
    return this.enqueue(e.id, lane, async () => {
      const target = lane === 'desk' ? await this.withDeskRef(e) : e;
      await this.deliverEntry(target, entry);
    });
  }

  /** Runs a desk operation (announce, card refresh) in the escalation's desk lane, with retries. */
  onDesk(e: Escalation, what: string, op: (latest: Escalation) => Promise<void>): Promise<void> {
    return this.enqueue(e.id, 'desk', async () => {
      const latest = what === 'announce' ? e : await this.withDeskRef(e);
      try {
        await this.withRetry(() => op(latest));
      } catch (err) {
        this.log.error({ escalationId: e.id, what, err: describe(err) }, 'desk operation failed');
      }
    });
  }

  /** Resolves when every queued delivery has settled (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) {
      await Promise.allSettled([...this.lanes.values()]);
    }
  }

  private enqueue(escalationId: string, lane: Lane, job: () => Promise<void>): Promise<void> {
    const key = `${escalationId}|${lane}`;
    const previous = this.lanes.get(key) ?? Promise.resolve();
    const next = previous.then(job).catch((err) => {
      this.log.error({ escalationId, lane, err: describe(err) }, 'relay job failed');
    });
    this.lanes.set(key, next);
    void next.then(() => {
      if (this.lanes.get(key) === next) this.lanes.delete(key);
    });
    return next;
  }

  /** The desk lane runs after the announce; a stale copy of the escalation may predate its desk ref. */
  private async withDeskRef(e: Escalation): Promise<Escalation> {
    if (e.deskRef) return e;
    const latest = await this.store.escalations.get(e.id);
    return latest?.value ?? e;
  }

  private async deliverEntry(e: Escalation, entry: TranscriptEntry): Promise<void> {
    let attempts = 0;
    try {
      await this.withRetry(async () => {
        attempts += 1;
        if (entry.direction === 'toDesk') {
          if (!e.deskRef) throw new DeliveryError('the escalation is not on the desk yet');
          await this.desk.post(e, { text: entry.text, from: entry.author?.name, kind: entry.kind === 'note' ? 'note' : entry.kind === 'customer' ? 'customer' : 'notice' });
        } else {
          await this.customer.send(e, { text: entry.text, from: entry.kind === 'agent' ? entry.author?.name : undefined });
        }
      });
      await this.saveState(entry, { state: 'delivered', attempts, deliveredAt: new Date().toISOString() });
    } catch (err) {
      const reason = describe(err);
      this.log.warn({ escalationId: e.id, entryId: entry.id, direction: entry.direction, attempts, err: reason }, 'delivery failed');
      await this.saveState(entry, { state: 'failed', attempts, lastError: reason });
      await this.reportFailure(e, entry, reason);
    }
  }

  private async reportFailure(e: Escalation, entry: TranscriptEntry, reason: string): Promise<void> {
    try {
      if (entry.direction === 'toCustomer' && e.deskRef) {
        await this.withRetry(() => this.desk.post(e, { text: notices.customerUndeliverable(reason), kind: 'notice' }));
      } else if (entry.direction === 'toDesk') {
        await this.withRetry(() => this.customer.send(e, { text: notices.deskUndeliverable() }));
      }
    } catch (err) {
      this.log.error({ escalationId: e.id, entryId: entry.id, err: describe(err) }, 'could not report a failed delivery');
    }
  }

  private async saveState(entry: TranscriptEntry, delivery: TranscriptEntry['delivery']): Promise<void> {
    entry.delivery = delivery;
    try {
      await this.store.transcripts.update(entry);
    } catch (err) {
      this.log.error({ escalationId: entry.escalationId, entryId: entry.id, err: describe(err) }, 'could not save delivery state');
    }
  }

  private withRetry<T>(fn: () => Promise<T>): Promise<T> {
    return pRetry(
      async () => {
        try {
          return await fn();
        } catch (err) {
          if (err instanceof DeliveryError && !err.retryable) throw new pRetry.AbortError(err);
          throw err;
        }
      },
      {
        retries: this.options.retries,
        minTimeout: this.options.minDelayMs,
        maxTimeout: this.options.maxDelayMs,
        randomize: true,
        onFailedAttempt: async (err) => {
          const retryAfter = err instanceof DeliveryError ? err.retryAfterMs : undefined;
          if (retryAfter && retryAfter > 0) await sleep(Math.min(retryAfter, 60_000));
        },
      },
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describe(err: unknown): string {
  if (err instanceof DeliveryError) return err.status ? `HTTP ${err.status}: ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
