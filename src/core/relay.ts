/**
 * The relay: every line (and every card change) is stored before it is acknowledged, then delivered in order per
 * escalation and direction, retried on transient failures, and reported visibly when it finally cannot be delivered.
 *
 * Durability: an entry is stored `pending` with a delivery lease held by the accepting instance. If that instance
 * dies, the lease runs out and a sweep on any instance claims the entry with an ETag condition (so exactly one
 * instance delivers it). A restarted instance with the same INSTANCE_ID reclaims its own entries at once.
 */
import pRetry from 'p-retry';
import type { DeskRef, Escalation } from './escalation';
import { ConcurrencyError, ConflictError, DeliveryError } from './errors';
import type { Logger } from './logger';
import { notices } from './notices';
import { lookupKey, type AgentDesk, type CustomerChannel, type HandoverStore } from './ports';
import type { Delivery, TranscriptEntry } from './transcript';

export interface RelayOptions {
  /** Attempts per delivery, after the first, before it is reported as failed. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** This instance's name on delivery leases; stable across restarts of the same instance. */
  instanceId: string;
  /** How long an accepted entry is reserved for the instance that accepted it. */
  leaseMs: number;
  /** How often the sweep looks for entries whose instance died; 0 turns the sweep off. */
  sweepIntervalMs: number;
}

export const defaultRelayOptions: RelayOptions = {
  retries: 6,
  minDelayMs: 200,
  maxDelayMs: 10_000,
  instanceId: 'local',
  leaseMs: 60_000,
  sweepIntervalMs: 5_000,
};

type Lane = 'desk' | 'customer';

interface Job {
  entry: TranscriptEntry;
  etag: string;
}

export class Relay {
  private readonly lanes = new Map<string, Promise<void>>();
  /** Entries queued or in delivery here, so the sweep never queues one twice. */
  private readonly inFlight = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    private readonly store: HandoverStore,
    private readonly customer: CustomerChannel,
    private readonly desk: AgentDesk,
    private readonly log: Logger,
    private readonly options: RelayOptions = defaultRelayOptions,
  ) {}

  /**
   * Stores an entry, leased to this instance. Returns `duplicate: true` when an entry from the same inbound
   * activity exists, so a retried activity is processed once. Store failures propagate (the edge answers 503).
   */
  async record(entry: TranscriptEntry): Promise<{ entry: TranscriptEntry; etag: string; duplicate: boolean }> {
    if (entry.direction !== 'internal') {
      entry.delivery = { ...entry.delivery, leaseOwner: this.options.instanceId, leaseUntil: Date.now() + this.options.leaseMs };
    }
    try {
      const saved = await this.store.transcripts.append(entry);
      return { entry: saved.value, etag: saved.etag, duplicate: false };
    } catch (err) {
      if (err instanceof ConflictError) return { entry, etag: '', duplicate: true };
      throw err;
    }
  }

  /** Queues delivery of a stored entry. The returned promise settles when it is delivered or given up. */
  dispatch(e: Escalation, recorded: { entry: TranscriptEntry; etag: string }): Promise<void> {
    const { entry } = recorded;
    if (entry.direction === 'internal' || this.inFlight.has(entry.id)) return Promise.resolve();
    this.inFlight.add(entry.id);
    const lane: Lane = entry.direction === 'toDesk' ? 'desk' : 'customer';
    return this.enqueue(e.id, lane, async () => {
      try {
        await this.deliver(e, { entry, etag: recorded.etag });
      } finally {
        this.inFlight.delete(entry.id);
      }
    });
  }

  /** Starts the sweep: reclaims this instance's own undelivered entries now, then looks for orphans periodically. */
  async start(): Promise<void> {
    await this.sweep();
    if (this.options.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.idle();
  }

  /** Resolves when every queued delivery has settled (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) {
      await Promise.allSettled([...this.lanes.values()]);
    }
  }

  /** Claims undelivered entries whose instance is gone (or is this one, restarted) and queues them in order. */
  sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    this.sweeping = this.sweepOnce()
      .catch((err) => this.log.error({ err: describe(err) }, 'delivery sweep failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const found = await this.store.transcripts.reclaimable(this.options.instanceId, Date.now(), 500);
    const escalations = new Map<string, Escalation | undefined>();
    // A lane (escalation and direction) is recovered by one instance only, which claims its entries in order.
    const lanes = new Map<string, boolean>();
    let claimed = 0;
    for (const { value: entry, etag } of found) {
      const lane = `${entry.escalationId}|${entry.direction}`;
      if (this.inFlight.has(entry.id)) continue;
      if (!lanes.has(lane)) lanes.set(lane, await this.store.leases.tryAcquire(`lane|${lane}`, this.options.instanceId, this.options.leaseMs));
      if (!lanes.get(lane)) continue;
      const leased: TranscriptEntry = {
        ...entry,
        delivery: { ...entry.delivery, leaseOwner: this.options.instanceId, leaseUntil: Date.now() + this.options.leaseMs },
      };
      let saved;
      try {
        saved = await this.store.transcripts.replace(leased, etag);
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        lanes.set(lane, false); // changed under us (delivered, or renewed by its owner): leave the lane
        continue;
      }
      if (!escalations.has(entry.escalationId)) escalations.set(entry.escalationId, (await this.store.escalations.get(entry.escalationId))?.value);
      const e = escalations.get(entry.escalationId);
      if (!e) continue;
      claimed += 1;
      void this.dispatch(e, { entry: saved.value, etag: saved.etag });
    }
    if (claimed > 0) this.log.info({ claimed }, 'reclaimed undelivered entries');
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

  private async deliver(e: Escalation, job: Job): Promise<void> {
    let attempts = job.entry.delivery.attempts;
    let lost = false;
    try {
      await this.withRetry(async () => {
        if (!(await this.keepLease(job))) {
          lost = true;
          return;
        }
        attempts += 1;
        await this.deliverOnce(e, job.entry);
      });
      if (lost) {
        this.log.warn({ entryId: job.entry.id }, 'delivery lease taken over by another instance');
        return;
      }
      await this.saveState(job, { state: 'delivered', attempts, deliveredAt: new Date().toISOString() });
    } catch (err) {
      const reason = describe(err);
      this.log.warn({ escalationId: e.id, entryId: job.entry.id, direction: job.entry.direction, attempts, err: reason }, 'delivery failed');
      await this.saveState(job, { state: 'failed', attempts, lastError: reason });
      await this.reportFailure(e, job.entry, reason, err);
    }
  }

  /** One attempt. Desk lines need the escalation's thread, which the first card entry creates. */
  private async deliverOnce(e: Escalation, entry: TranscriptEntry): Promise<void> {
    if (entry.direction === 'toCustomer') {
      await this.customer.send(e, { text: entry.text, from: entry.kind === 'agent' ? entry.author?.name : undefined });
      return;
    }
    // Lines use the escalation as accepted (no extra read per message); cards and a missing thread need the latest.
    const latest = entry.kind === 'card' || !e.deskRef ? ((await this.store.escalations.get(e.id))?.value ?? e) : e;
    if (entry.kind === 'card') {
      if (latest.deskRef) await this.desk.refresh(latest);
      else await this.announce(latest);
      return;
    }
    if (!latest.deskRef) throw new DeliveryError('the escalation is not on the desk yet');
    const kind = entry.kind === 'note' ? 'note' : entry.kind === 'customer' ? 'customer' : 'notice';
    await this.desk.post(latest, { text: entry.text, from: entry.author?.name, kind });
  }

  private async announce(e: Escalation): Promise<void> {
    const deskRef: DeskRef = await this.desk.announce(e);
    await this.store.lookups.create(lookupKey.desk(deskRef.conversationId), e.id).catch((err) => {
      if (!(err instanceof ConflictError)) throw err;
    });
    for (;;) {
      const current = await this.store.escalations.get(e.id);
      if (!current) return;
      try {
        await this.store.escalations.replace({ ...current.value, deskRef }, current.etag);
        break;
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
      }
    }
    // The escalation may have changed while the card was being posted: show its current state.
    const latest = (await this.store.escalations.get(e.id))?.value;
    if (latest && latest.updatedAt !== e.updatedAt) await this.desk.refresh(latest);
  }

  /** Renews this instance's lease when it runs low; false when another instance has taken the entry over. */
  private async keepLease(job: Job): Promise<boolean> {
    const until = job.entry.delivery.leaseUntil ?? 0;
    if (until - Date.now() > this.options.leaseMs / 2) return true;
    try {
      const renewed = { ...job.entry, delivery: { ...job.entry.delivery, leaseOwner: this.options.instanceId, leaseUntil: Date.now() + this.options.leaseMs } };
      const saved = await this.store.transcripts.replace(renewed, job.etag);
      job.entry = saved.value;
      job.etag = saved.etag;
      return true;
    } catch (err) {
      if (err instanceof ConcurrencyError) return false;
      throw err;
    }
  }

  private async reportFailure(e: Escalation, entry: TranscriptEntry, reason: string, err: unknown): Promise<void> {
    try {
      if (entry.direction === 'toCustomer') {
        if (err instanceof DeliveryError && (err.status === 403 || err.status === 404)) await this.noteDeliveryProblem(e, reason);
        const latest = (await this.store.escalations.get(e.id))?.value ?? e;
        if (latest.deskRef) await this.withRetry(() => this.desk.post(latest, { text: notices.customerUndeliverable(reason), kind: 'notice' }));
      } else if (entry.kind !== 'card') {
        await this.withRetry(() => this.customer.send(e, { text: notices.deskUndeliverable() }));
      }
    } catch (failure) {
      this.log.error({ escalationId: e.id, entryId: entry.id, err: describe(failure) }, 'could not report a failed delivery');
    }
  }

  /** Teams said the customer cannot be reached (app removed, chat gone): show it on the card. */
  private async noteDeliveryProblem(e: Escalation, reason: string): Promise<void> {
    const current = await this.store.escalations.get(e.id);
    if (!current || current.value.deliveryProblem) return;
    try {
      const saved = await this.store.escalations.replace({ ...current.value, deliveryProblem: `Messages cannot reach the customer (${reason}).` }, current.etag);
      if (saved.value.deskRef) await this.desk.refresh(saved.value);
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
    }
  }

  private async saveState(job: Job, delivery: Delivery): Promise<void> {
    const entry = { ...job.entry, delivery };
    try {
      const saved = await this.store.transcripts.replace(entry, job.etag);
      job.entry = saved.value;
      job.etag = saved.etag;
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
