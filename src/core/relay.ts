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
 * each lane has a lane document: its holder (the one instance delivering it, until its lease runs out) and the queue
 * of lines waiting, in the order received. An instance that accepts a line appends it to the queue (taking the lane
 * when it is free); the holder delivers the queue in order and gives the lane back with a write conditional on the
 * document's version, so a line appended meanwhile makes that write fail and is delivered too. No query per line.
 * A lone instance skips all this (no lane document).
 */
import pRetry from 'p-retry';
import type { DeskRef, Escalation } from './escalation';
import { ConcurrencyError, ConflictError, DeliveryError } from './errors';
import type { Logger } from './logger';
import { notices } from './notices';
import { lookupKey, type AgentDesk, type CustomerChannel, type HandoverStore, type LaneDoc, type LaneMemory, type Versioned } from './ports';
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

/** A stored entry; `served` when it was queued in its lane (several instances) and this instance serves the lane. */
export interface Recorded {
  entry: TranscriptEntry;
  etag: string;
  duplicate: boolean;
  served?: Promise<void>;
}

/** Whether a delivery ended: done (delivered or reported failed), or stopped because another instance took over. */
type Outcome = 'done' | 'lost';

/** A lane document as this instance last wrote or read it while holding the lane. */
interface LaneHold {
  key: string;
  doc: Versioned<LaneDoc>;
}

/** A lone instance, or an edge with nothing to hand over. */
const forgetful: LaneMemory = { export: () => undefined, import: () => undefined, instances: () => undefined };

/** Conditional writes to one lane document before giving up (each retry follows a change by another instance). */
const LANE_WRITE_ATTEMPTS = 50;

export class Relay {
  private readonly lanes = new Map<string, Promise<void>>();
  /** Entries queued or in delivery here, so the sweep never queues one twice. */
  private readonly inFlight = new Set<string>();
  /** Lines this instance accepted and queued in a lane it held: delivered without reading them back. */
  private readonly accepted = new Map<string, { job: Job; at: number }>();
  /** Per lane, a serve queued here and not started yet. */
  private readonly waitingServes = new Map<string, Promise<void>>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  /** Until then, other instances are (or were recently) alive: lanes are delivered under their lease. */
  private peersUntil = 0;
  /** A joining instance collects nothing until the others have seen its heartbeat and switched to lane leases. */
  private graceUntil = 0;
  /** After the first sweep, which takes this instance's own undelivered entries back after a restart. */
  private started = false;

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
  async record(entry: TranscriptEntry, e?: Escalation): Promise<Recorded> {
    const direction = entry.direction === 'internal' ? undefined : entry.direction;
    if (direction) entry.delivery = { ...entry.delivery, leaseOwner: this.options.instanceId, leaseUntil: Date.now() + this.options.leaseMs };
    let recorded: Recorded;
    try {
      const saved = await this.store.transcripts.append(entry);
      recorded = { entry: saved.value, etag: saved.etag, duplicate: false };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      recorded = { entry, etag: '', duplicate: true };
    }
    // While instances share the store, a line is in its lane's queue before it is acknowledged: an instance that dies
    // right after answering leaves it in its place in line. A retried request (duplicate) queues it if that failed.
    if (direction && this.shared()) {
      const job = recorded.duplicate ? await this.readJob(entry.escalationId, entry.id) : { entry: recorded.entry, etag: recorded.etag };
      if (job && job.entry.delivery.state === 'pending') recorded.served = (await this.append(entry.escalationId, direction, [job], e, !recorded.duplicate)).served ?? Promise.resolve();
    }
    return recorded;
  }

  /** Queues delivery of a stored entry. The returned promise settles when it is delivered or given up. */
  dispatch(e: Escalation, recorded: { entry: TranscriptEntry; etag: string; served?: Promise<void> }): Promise<void> {
    const { entry } = recorded;
    if (recorded.served) return recorded.served; // queued in its lane when it was recorded
    if (entry.direction === 'internal' || this.inFlight.has(entry.id)) return Promise.resolve();
    if (this.shared()) return this.join(e.id, entry.direction, [recorded], e).catch((err) => this.cannotQueue(entry, err));
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
      if (outcome === 'lost' && this.shared()) void this.join(e.id, direction, [job], e).catch((err) => this.cannotQueue(job.entry, err));
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
    // Lines handed to another holder long ago were delivered by it: forget them here.
    for (const [id, { at }] of this.accepted) if (Date.now() - at > 4 * this.options.leaseMs) this.accepted.delete(id);
    const found = await this.store.transcripts.reclaimable(this.options.instanceId, Date.now(), 500);
    // Orphans (their lease ran out; right after a restart, this instance's own entries too) join their lane's queue:
    // its holder delivers them, or this instance when the lane is free, in the order they were received. Lines under a
    // live lease are on their way, so a backlog adds no work here. A lone instance recovers through lanes too.
    const now = Date.now();
    const orphans = found.filter(({ value }) => !this.inFlight.has(value.id) && (!this.started || (value.delivery.leaseUntil ?? 0) < now));
    const byLane = new Map<string, Job[]>();
    for (const { value, etag } of orphans) {
      const lane = `${value.escalationId}|${value.direction}`;
      byLane.set(lane, [...(byLane.get(lane) ?? []), { entry: value, etag }]);
    }
    if (orphans.length > 0) this.log.info({ entries: orphans.length, lanes: byLane.size }, 'recovering undelivered entries');
    // Queued before the sweep ends (so a restarted instance's old lines come before any new one); served meanwhile.
    for (const [lane, jobs] of byLane) {
      const [escalationId, direction] = lane.split('|') as [string, Outbound];
      await this.append(escalationId, direction, jobs).catch((err) => this.log.warn({ lane, err: describe(err) }, 'could not queue orphans'));
    }
  }

  /**
   * Appends lines to their lane's queue, taking the lane when it is free (or already this instance's), and then
   * serves it here; a lane held by another live instance is served by that one. The returned promise settles when
   * this instance has served the lane, or at once when another does.
   */
  private async join(escalationId: string, direction: Outbound, jobs: Job[], known?: Escalation): Promise<void> {
    const { served } = await this.append(escalationId, direction, jobs, known);
    await served;
  }

  /** Appends to the lane's queue; `served` (when this instance serves the lane) settles once the lane is served. */
  private async append(escalationId: string, direction: Outbound, jobs: Job[], known?: Escalation, fresh = false): Promise<{ served?: Promise<void> }> {
    const key = laneKey(escalationId, direction);
    const me = this.options.instanceId;
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const current = await this.store.lanes.get(key);
      const now = Date.now();
      const doc: LaneDoc = current?.value ?? { until: 0, queue: [] };
      const added = jobs.map((j) => j.entry.id).filter((id) => !doc.queue.includes(id));
      const free = !doc.holder || doc.holder === me || doc.until <= now;
      // Queued already: its holder delivers it (a serve of this instance's that died lets its lease run out, and then
      // the sweep takes the lane again: so nothing here renews a lease without new lines).
      if (added.length === 0 && (!free || (doc.holder === me && doc.until > now))) return {};
      const next: LaneDoc = { ...doc, queue: [...doc.queue, ...added], ...(free ? { holder: me, until: now + this.options.leaseMs } : {}) };
      let saved: Versioned<LaneDoc>;
      try {
        saved = await this.store.lanes.put(key, next, current?.etag);
      } catch (err) {
        if (!(err instanceof ConflictError) && !(err instanceof ConcurrencyError)) throw err;
        await sleep(Math.random() * 5 * (attempt + 1)); // changed meanwhile: again, a little apart from the others
        continue;
      }
      this.log.debug({ lane: key, queued: added, holder: saved.value.holder, queue: saved.value.queue.length }, 'lane joined');
      // Lines just stored, queued in a lane this instance holds, are delivered from memory (no read). Anything else (a
      // sweep's or an older copy) is read again when its turn comes: it may have been delivered meanwhile.
      if (free && fresh) for (const job of jobs) this.accepted.set(job.entry.id, { job, at: now });
      if (!free) return {};
      // One serve waiting per lane is enough: a serve reads the document again whenever it has changed.
      const waiting = this.waitingServes.get(key);
      if (waiting) return { served: waiting };
      // Behind a serve of this lane, the document will have changed: read it when the turn comes.
      const behind = this.lanes.has(`${escalationId}|${laneOf(direction)}`);
      const served = this.enqueue(escalationId, laneOf(direction), () => {
        this.waitingServes.delete(key);
        return this.serve(escalationId, direction, behind ? undefined : saved, known);
      });
      this.waitingServes.set(key, served);
      return { served };
    }
    throw new ConcurrencyError(`lane ${key}`);
  }

  /**
   * Delivers the lane's queue in order while this instance holds the lane, then gives it back. Every change of the
   * lane document is conditional on the version last seen: when another instance appended meanwhile, the write fails,
   * the document is read again and the new lines are delivered before the lane is given back.
   */
  private async serve(escalationId: string, direction: Outbound, start: Versioned<LaneDoc> | undefined, known?: Escalation): Promise<void> {
    const wait = this.graceUntil - Date.now();
    if (wait > 0) await sleep(wait);
    const key = laneKey(escalationId, direction);
    const hold: LaneHold = { key, doc: start ?? (await this.store.lanes.get(key)) ?? { value: { until: 0, queue: [] }, etag: '' } };
    try {
      await this.serveHeld(escalationId, direction, hold, known);
    } finally {
      // Lines left in the queue (another instance took the lane over) are read again by whoever delivers them here.
      for (const id of hold.doc.value.queue) this.accepted.delete(id);
    }
  }

  private async serveHeld(escalationId: string, direction: Outbound, hold: LaneHold, known?: Escalation): Promise<void> {
    const me = this.options.instanceId;
    let e: Escalation | undefined = known;
    let sent = false;
    // Rounds without progress (only lost writes) are bounded; rounds that deliver are not.
    for (let stalls = 0; stalls < LANE_WRITE_ATTEMPTS; ) {
      const doc = hold.doc.value;
      if (doc.holder !== me) {
        if (doc.holder && doc.until > Date.now()) return; // another instance serves it now
        if (!(await this.writeLane(hold, { ...doc, holder: me, until: Date.now() + this.options.leaseMs }))) {
          stalls++;
          continue;
        }
      }
      const done: string[] = [];
      if (hold.doc.value.queue.length > 0) {
        e ??= (await this.store.escalations.get(escalationId))?.value;
        if (e && !sent && hold.doc.value.memo !== undefined) this.memory.import(e, direction, hold.doc.value.memo);
        for (const id of hold.doc.value.queue) {
          const job = this.accepted.get(id)?.job ?? (await this.readJob(escalationId, id));
          this.accepted.delete(id);
          if (job && job.entry.delivery.state === 'pending' && !this.inFlight.has(id)) {
            if (!e) {
              await this.giveUp(job, 'the escalation no longer exists');
            } else {
              this.inFlight.add(id);
              try {
                if ((await this.deliver(e, job, () => this.keepLaneHeld(hold))) === 'lost') return;
              } finally {
                this.inFlight.delete(id);
              }
              sent = true;
            }
          }
          done.push(id);
        }
      }
      // Drop what was delivered and give the lane back, leaving the lane's recent sends for the next holder. If a line
      // was appended meanwhile the write fails: deliver the newer queue (without what this round did) first.
      const memo = sent && e ? this.memory.export(e, direction) : hold.doc.value.memo;
      const remaining = (queue: string[]) => queue.filter((id) => !done.includes(id));
      const rest = remaining(hold.doc.value.queue); // a renewal during the round may have brought newer lines
      if (await this.writeLane(hold, rest.length > 0 ? { ...hold.doc.value, queue: rest, memo } : { queue: [], until: 0, memo })) {
        if (rest.length === 0) return;
        continue;
      }
      hold.doc = { ...hold.doc, value: { ...hold.doc.value, queue: remaining(hold.doc.value.queue) } };
      if (done.length === 0) stalls++;
    }
    this.log.warn({ lane: hold.key }, 'lane changed too often; the sweep takes it up again');
  }

  /** A conditional write of the lane document; false (with the newest version in `hold`) when it changed meanwhile. */
  private async writeLane(hold: LaneHold, next: LaneDoc): Promise<boolean> {
    try {
      hold.doc = await this.store.lanes.put(hold.key, next, hold.doc.etag || undefined);
      return true;
    } catch (err) {
      if (!(err instanceof ConcurrencyError) && !(err instanceof ConflictError)) throw err;
      // An empty version stands for a document that is gone (expired): the next write creates it.
      hold.doc = (await this.store.lanes.get(hold.key)) ?? { value: { until: 0, queue: [] }, etag: '' };
      return false;
    }
  }

  /** Renews the lane's lease when it runs low; false when another instance holds the lane now. */
  private async keepLaneHeld(hold: LaneHold): Promise<boolean> {
    const me = this.options.instanceId;
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const doc = hold.doc.value;
      if (doc.holder !== me) return false;
      if (doc.until - Date.now() > this.options.leaseMs / 2) return true;
      if (await this.writeLane(hold, { ...doc, until: Date.now() + this.options.leaseMs })) return true;
    }
    return false;
  }

  private async readJob(escalationId: string, id: string): Promise<Job | undefined> {
    const found = await this.store.transcripts.get(escalationId, id);
    return found && { entry: found.value, etag: found.etag };
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
        // A send may wait long in the rate limiter: the lease is kept meanwhile, so no other instance sends it too.
        const renew = setInterval(() => void hold().catch(() => undefined), Math.max(50, Math.floor(this.options.leaseMs / 4)));
        try {
          await this.deliverOnce(e, job.entry);
        } finally {
          clearInterval(renew);
        }
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

  /** The line stays stored and pending: the sweep queues it once its lease runs out. */
  private cannotQueue(entry: TranscriptEntry, err: unknown): void {
    this.log.warn({ escalationId: entry.escalationId, entryId: entry.id, err: describe(err) }, 'could not queue a line in its lane now; the sweep will');
  }

  /** An entry that can never be delivered (its escalation expired or was removed): failed, so no sweep returns it. */
  private async giveUp(job: Job, reason: string): Promise<void> {
    this.log.warn({ escalationId: job.entry.escalationId, entryId: job.entry.id, reason }, 'undeliverable entry given up');
    await this.saveState(job, { ...job.entry.delivery, state: 'failed', lastError: reason });
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
            // Taken over: the next attempt sees it and stops. A store error here is no reason to give the line up.
            if (hold && wait > 0 && !(await hold().catch(() => true))) return;
          }
        },
      },
    );
  }
}

function laneKey(escalationId: string, direction: Outbound): string {
  return `lane-queue|${escalationId}|${direction}`;
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
