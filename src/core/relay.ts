/**
 * The relay: every line (and every card change) is stored before it is acknowledged, then delivered in order per
 * escalation and direction, retried on transient failures, and reported visibly when it finally cannot be delivered.
 *
 * Durability: an entry is stored `pending` with a delivery lease held by the accepting instance. If that instance
 * dies, the lease runs out and a sweep on any instance claims the entry with an ETag condition (so exactly one
 * instance delivers it). A restarted instance with the same INSTANCE_ID reclaims its own entries at once.
 *
 * Several instances: each says it is alive in the lease store at every sweep. While an instance knows of others
 * (alive, or alive within the last lease period), lines of one escalation and direction may be accepted anywhere, so
 * no instance delivers a lane on its own: it takes the lane's lease, collects the lane's undelivered entries from the
 * store (whoever accepted them) and delivers them oldest first, then gives the lane back. One holder per lane keeps
 * the order across instances and after a crash. A lone instance skips all this (no lease, no query per line).
 */
import pRetry from 'p-retry';
import type { DeskRef, Escalation } from './escalation';
import { ConcurrencyError, ConflictError, DeliveryError } from './errors';
import type { Logger } from './logger';
import { notices } from './notices';
import { lookupKey, type AgentDesk, type CustomerChannel, type HandoverStore, type LaneMemory, type LeaseGrant, type Versioned } from './ports';
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
type Outbound = 'toDesk' | 'toCustomer';

interface Job {
  entry: TranscriptEntry;
  etag: string;
}

/** Whether a delivery ended: done (delivered or reported failed), or stopped because another instance took over. */
type Outcome = 'done' | 'lost';

/** A lane's lease held by this instance. */
interface LaneHold {
  key: string;
  until: number;
  etag?: string;
}

/** A lone instance, or an edge with nothing to hand over. */
const forgetful: LaneMemory = { export: () => undefined, import: () => undefined, instances: () => undefined };

/** Waits between attempts to take a lane that another instance holds (about 6 s in all). */
const LANE_WAITS_MS = [100, 200, 400, 800, 1600, 1600, 1600];
const LANE_PATIENCE_MS = LANE_WAITS_MS.reduce((a, b) => a + b, 0);

export class Relay {
  private readonly lanes = new Map<string, Promise<void>>();
  /** Entries queued or in delivery here, so the sweep never queues one twice. */
  private readonly inFlight = new Set<string>();
  /** Lanes with a collection queued here and not yet started: one is enough. */
  private readonly collecting = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  /** Until then, other instances are (or were recently) alive: lanes are delivered under their lease. */
  private peersUntil = 0;
  /** A joining instance collects nothing until the others have seen its heartbeat and switched to lane leases. */
  private graceUntil = 0;
  /** After the first sweep, which takes this instance's own undelivered entries back after a restart. */
  private started = false;
  /** Lanes whose collection could not take the lane and will try again. */
  private readonly retries = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: HandoverStore,
    private readonly customer: CustomerChannel,
    private readonly desk: AgentDesk,
    private readonly log: Logger,
    private readonly options: RelayOptions = defaultRelayOptions,
    private readonly memory: LaneMemory = forgetful,
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
    if (this.shared()) return this.collect(e.id, entry.direction, e);
    this.inFlight.add(entry.id);
    const direction = entry.direction;
    return this.enqueue(e.id, laneOf(direction), async () => {
      const job = { entry, etag: recorded.etag };
      let outcome: Outcome = 'lost';
      try {
        // Another instance may have appeared while this waited: then the lane is delivered under its lease.
        if (!this.shared()) outcome = await this.deliver(e, job, () => this.keepEntryLease(job));
      } finally {
        this.inFlight.delete(entry.id);
      }
      if (outcome === 'lost' && this.shared()) await this.collectNow(e.id, direction, e);
    });
  }

  /** True while other instances serve (or served within a lease period) the same store. */
  shared(): boolean {
    return Date.now() < this.peersUntil;
  }

  /** Starts the sweep: reclaims this instance's own undelivered entries now, then looks for orphans periodically. */
  async start(): Promise<void> {
    if (this.options.sweepIntervalMs > 0) {
      await this.heartbeat();
      if (this.shared()) this.graceUntil = Date.now() + 2 * this.options.sweepIntervalMs;
    }
    await this.sweep();
    this.started = true;
    if (this.options.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
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

  /** Says this instance is alive, and learns whether others are. */
  private async heartbeat(): Promise<void> {
    const now = Date.now();
    await this.store.leases.heartbeat(this.options.instanceId, Math.max(3 * this.options.sweepIntervalMs, 3000), now);
    const others = (await this.store.leases.instances()).filter((i) => i.instance !== this.options.instanceId);
    const lastSeen = Math.max(0, ...others.map((i) => i.until));
    this.memory.instances(1 + others.filter((i) => i.until > now).length);
    // A peer that died may still hold leased entries: stay careful for a lease period after its last heartbeat.
    this.peersUntil = lastSeen > 0 ? lastSeen + this.options.leaseMs : 0;
  }

  private async sweepOnce(): Promise<void> {
    if (this.options.sweepIntervalMs > 0) await this.heartbeat();
    const found = await this.store.transcripts.reclaimable(this.options.instanceId, Date.now(), 500);
    if (this.shared()) {
      // Collect each lane with an orphan (its lease ran out; right after a restart, this instance's own entries too):
      // the lane's holder delivers everything pending in it, in order. Entries under a live lease are on their way
      // (a collection that could not take a busy lane tries again by itself), so a backlog adds no collections here.
      const now = Date.now();
      const orphans = found.filter(({ value }) => !this.inFlight.has(value.id) && (!this.started || (value.delivery.leaseUntil ?? 0) < now));
      const lanes = new Set(orphans.map(({ value }) => `${value.escalationId}|${value.direction}`));
      for (const lane of lanes) {
        const [escalationId, direction] = lane.split('|') as [string, Outbound];
        void this.collect(escalationId, direction);
      }
      return;
    }
    const escalations = new Map<string, Escalation | undefined>();
    // A lane (escalation and direction) is recovered by one instance only, which claims its entries in order.
    const lanes = new Map<string, boolean>();
    let claimed = 0;
    for (const { value: entry, etag } of found) {
      const lane = `${entry.escalationId}|${entry.direction}`;
      if (this.inFlight.has(entry.id)) continue;
      if (!lanes.has(lane)) lanes.set(lane, Boolean(await this.store.leases.tryAcquire(`lane|${lane}`, this.options.instanceId, this.options.leaseMs)));
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
      if (!e) {
        await this.abandon([saved], 'the escalation no longer exists');
        continue;
      }
      claimed += 1;
      void this.dispatch(e, { entry: saved.value, etag: saved.etag });
    }
    if (claimed > 0) this.log.info({ claimed }, 'reclaimed undelivered entries');
  }

  /** Queues a collection of the lane behind whatever this instance already has queued for it (one is enough). */
  private collect(escalationId: string, direction: Outbound, known?: Escalation): Promise<void> {
    const key = `${escalationId}|${laneOf(direction)}`;
    if (this.collecting.has(key)) return this.lanes.get(key) ?? Promise.resolve();
    this.collecting.add(key);
    return this.enqueue(escalationId, laneOf(direction), async () => {
      this.collecting.delete(key);
      await this.collectNow(escalationId, direction, known);
    });
  }

  /**
   * Takes the lane's lease and delivers every pending entry of the lane, oldest first, whichever instance accepted
   * it; then gives the lane back. When another instance holds the lane, it (or the sweep) delivers what is pending.
   */
  private async collectNow(escalationId: string, direction: Outbound, known?: Escalation): Promise<void> {
    const wait = this.graceUntil - Date.now();
    if (wait > 0) await sleep(wait);
    const hold: LaneHold = { key: `lane|${escalationId}|${direction}`, until: 0 };
    const grant = await this.takeLane(hold);
    if (!grant) {
      // Another instance has held the lane all along: it may be past its last look for new lines, so try again.
      this.collectLater(escalationId, direction);
      return;
    }
    // The escalation as the line was accepted is fresh enough (cards read the latest themselves).
    let e: Escalation | undefined = known;
    let sent = false;
    try {
      for (;;) {
        const started = Date.now();
        const pending = (await this.store.transcripts.pending(escalationId, direction)).filter(({ value }) => !this.inFlight.has(value.id));
        if (pending.length === 0) return;
        e ??= (await this.store.escalations.get(escalationId))?.value;
        if (!e) return await this.abandon(pending, 'the escalation no longer exists');
        // Before this instance's first call in the lane: the previous holder's recent calls count against its windows.
        if (!sent && grant.memo !== undefined) this.memory.import(e, direction, grant.memo);
        sent = true;
        for (const { value, etag } of pending) {
          if ((await this.deliver(e, { entry: value, etag }, () => this.keepLane(hold))) === 'lost') return;
        }
        // Lines accepted elsewhere meanwhile are collected by their instance once the lane is free, unless it has
        // stopped waiting for the lane: look once more after a long round.
        if (Date.now() - started < LANE_PATIENCE_MS / 2) return;
      }
    } finally {
      // The next holder learns this instance's recent sends in the lane's conversation (its rate-limit windows), or
      // what the previous holder left when this one sent nothing.
      const memo = sent && e ? this.memory.export(e, direction) : grant.memo;
      await this.store.leases.release(hold.key, this.options.instanceId, memo, hold.etag).catch((err) => this.log.warn({ lane: hold.key, err: describe(err) }, 'could not release a lane'));
    }
  }

  private collectLater(escalationId: string, direction: Outbound): void {
    const key = `${escalationId}|${direction}`;
    if (this.retries.has(key)) return;
    const timer = setTimeout(() => {
      this.retries.delete(key);
      void this.collect(escalationId, direction);
    }, LANE_PATIENCE_MS);
    timer.unref();
    this.retries.set(key, timer);
  }

  private async takeLane(hold: LaneHold): Promise<LeaseGrant | undefined> {
    for (let attempt = 0; ; attempt++) {
      const grant = await this.store.leases.tryAcquire(hold.key, this.options.instanceId, this.options.leaseMs);
      if (grant) {
        hold.until = Date.now() + this.options.leaseMs;
        hold.etag = grant.etag;
        return grant;
      }
      if (attempt >= LANE_WAITS_MS.length) return undefined;
      await sleep(LANE_WAITS_MS[attempt]);
    }
  }

  /** Renews the lane's lease when it runs low; false when another instance took the lane over. */
  private async keepLane(hold: LaneHold): Promise<boolean> {
    if (hold.until - Date.now() > this.options.leaseMs / 2) return true;
    const grant = await this.store.leases.tryAcquire(hold.key, this.options.instanceId, this.options.leaseMs);
    if (!grant) return false;
    hold.until = Date.now() + this.options.leaseMs;
    hold.etag = grant.etag;
    return true;
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

  /** Delivers one entry with retries while `hold` says this instance may; records the outcome on the entry. */
  private async deliver(e: Escalation, job: Job, hold: () => Promise<boolean>): Promise<Outcome> {
    let attempts = job.entry.delivery.attempts;
    let lost = false;
    try {
      await this.withRetry(async () => {
        if (!(await hold())) {
          lost = true;
          return;
        }
        attempts += 1;
        await this.deliverOnce(e, job.entry);
      }, hold);
      if (lost) {
        this.log.info({ entryId: job.entry.id }, 'delivery handed over (another instance holds it, or the lane is shared now)');
        return 'lost';
      }
      await this.saveState(job, { state: 'delivered', attempts, deliveredAt: new Date().toISOString() });
    } catch (err) {
      const reason = describe(err);
      this.log.warn({ escalationId: e.id, entryId: job.entry.id, direction: job.entry.direction, attempts, err: reason }, 'delivery failed');
      await this.saveState(job, { state: 'failed', attempts, lastError: reason });
      await this.reportFailure(e, job.entry, reason, err);
    }
    return 'done';
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

  /**
   * A lone instance's hold on an entry it accepted: renews the entry's lease when it runs low; false when another
   * instance has taken the entry over, or when instances now share the store (the lane's holder delivers then).
   */
  private async keepEntryLease(job: Job): Promise<boolean> {
    if (this.shared()) return false;
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

  /** Entries that can never be delivered (their escalation expired or was removed): failed, so no sweep returns them. */
  private async abandon(entries: Array<Versioned<TranscriptEntry>>, reason: string): Promise<void> {
    this.log.warn({ escalationId: entries[0]?.value.escalationId, entries: entries.length, reason }, 'undeliverable entries given up');
    for (const { value, etag } of entries) {
      await this.saveState({ entry: value, etag }, { ...value.delivery, state: 'failed', lastError: reason });
    }
  }

  /** Records the outcome; if the entry changed meanwhile (its acceptor renewed a lease), on top of the latest copy. */
  private async saveState(job: Job, delivery: Delivery): Promise<void> {
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const saved = await this.store.transcripts.replace({ ...job.entry, delivery }, job.etag);
          job.entry = saved.value;
          job.etag = saved.etag;
          return;
        } catch (err) {
          if (!(err instanceof ConcurrencyError)) throw err;
          const latest = await this.store.transcripts.get(job.entry.escalationId, job.entry.id);
          if (!latest || latest.value.delivery.state !== 'pending') return;
          job.entry = latest.value;
          job.etag = latest.etag;
        }
      }
      throw new ConcurrencyError(`transcript entry ${job.entry.id}`);
    } catch (err) {
      this.log.error({ escalationId: job.entry.escalationId, entryId: job.entry.id, err: describe(err) }, 'could not save delivery state');
    }
  }

  /**
   * Retries `fn` with backoff and jitter, honouring Retry-After. With `hold`, a long wait is cut in slices that renew
   * the lease, so the lease never runs out while this instance waits to retry (another would deliver it meanwhile).
   */
  private withRetry<T>(fn: () => Promise<T>, hold?: () => Promise<boolean>): Promise<T> {
    const slice = Math.max(50, Math.floor(this.options.leaseMs / 4));
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
        maxTimeout: Math.min(this.options.maxDelayMs, slice),
        randomize: true,
        onFailedAttempt: async (err) => {
          const retryAfter = err instanceof DeliveryError ? err.retryAfterMs : undefined;
          let wait = retryAfter && retryAfter > 0 ? Math.min(retryAfter, 60_000) : 0;
          while (wait > 0) {
            await sleep(Math.min(wait, slice));
            wait -= slice;
            if (hold && wait > 0 && !(await hold())) return; // taken over: the next attempt sees it and stops
          }
        },
      },
    );
  }
}

function laneOf(direction: Outbound): Lane {
  return direction === 'toDesk' ? 'desk' : 'customer';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describe(err: unknown): string {
  if (err instanceof DeliveryError) return err.status ? `HTTP ${err.status}: ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
