/**
 * Lanes while several processes serve one store. Each lane (one escalation and direction) has a lane document: its
 * holder (the one process delivering it, until its lease runs out) and the queue of items waiting, in the order
 * received. A process that accepts an item appends it to the queue (taking the lane when it is free); the holder
 * delivers the queue in order and gives the lane back with a write conditional on the document's version, so an item
 * appended meanwhile makes that write fail and is delivered too. No query per line.
 */
import type { Escalation } from '../core/escalation';
import { ConcurrencyError, ConflictError } from '../core/errors';
import type { EscalationStore, Versioned } from '../core/ports';
import type { Outbound } from '../core/transcript';
import type { LaneDoc, LaneMemory, LaneStore } from './ports';
import type { Job, Sender } from './sender';
import type { LocalLanes } from './localLanes';

/** Conditional writes to one lane document before giving up (each retry follows a change by another process). */
const LANE_WRITE_ATTEMPTS = 50;

/** A lane document as this process last wrote or read it while holding the lane. */
interface LaneHold {
  key: string;
  doc: Versioned<LaneDoc>;
}

export interface SharedLanesDeps {
  lanes: LaneStore;
  escalations: EscalationStore;
  sender: Sender;
  local: LocalLanes;
  memory: LaneMemory;
  me: string;
  leaseMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  readJob: (escalationId: string, id: string) => Promise<Job | undefined>;
  /** Until then a joining process delivers nothing (the others have not seen its heartbeat yet). */
  graceUntil: () => number;
  debug: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
}

export function laneKey(escalationId: string, direction: Outbound): string {
  return `lane-queue|${escalationId}|${direction}`;
}

export class SharedLanes {
  /** Items this process accepted and queued in a lane it held: delivered without reading them back. */
  private readonly accepted = new Map<string, { job: Job; at: number }>();
  /** Per lane, a serve queued here and not started yet. */
  private readonly waitingServes = new Map<string, Promise<void>>();
  /**
   * Lanes where this process left items queued behind another holder (since when). Until this process has served
   * such a lane empty, its new items go through the lane too, even once it is alone: a dead holder's lane must not
   * be overtaken by a line delivered directly.
   */
  private readonly parked = new Map<string, number>();

  constructor(private readonly deps: SharedLanesDeps) {}

  /** Forgets items handed to another holder long ago (it delivered them). */
  prune(): void {
    for (const [id, { at }] of this.accepted) if (this.deps.now() - at > 4 * this.deps.leaseMs) this.accepted.delete(id);
    // By then the sweep has taken up whatever was left there (its items' own leases ran out long ago).
    for (const [key, at] of this.parked) if (this.deps.now() - at > 4 * this.deps.leaseMs) this.parked.delete(key);
  }

  /** True while items this process queued behind another holder may still wait in the lane. */
  isParked(escalationId: string, direction: Outbound): boolean {
    return this.parked.has(laneKey(escalationId, direction));
  }

  /**
   * Appends items to their lane's queue, taking the lane when it is free (or already this process's), and then serves
   * it here; a lane held by another live process is served by that one. `served` (when this process serves the lane)
   * settles once the lane is served.
   */
  async append(escalationId: string, direction: Outbound, jobs: Job[], known?: Escalation, fresh = false): Promise<{ served?: Promise<void> }> {
    const key = laneKey(escalationId, direction);
    const me = this.deps.me;
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const current = await this.deps.lanes.get(key);
      const now = this.deps.now();
      const doc: LaneDoc = current?.value ?? { until: 0, queue: [] };
      const added = jobs.map((j) => j.item.id).filter((id) => !doc.queue.includes(id));
      const free = !doc.holder || doc.holder === me || doc.until <= now;
      // Queued already: its holder delivers it (a serve of this process that died lets its lease run out, and then the
      // sweep takes the lane again: so nothing here renews a lease without new items).
      if (added.length === 0 && (!free || (doc.holder === me && doc.until > now))) {
        if (!free) this.parked.set(key, now);
        return {};
      }
      const next: LaneDoc = { ...doc, queue: [...doc.queue, ...added], ...(free ? { holder: me, until: now + this.deps.leaseMs } : {}) };
      let saved: Versioned<LaneDoc>;
      try {
        saved = await this.deps.lanes.put(key, next, current?.etag);
      } catch (err) {
        if (!(err instanceof ConflictError) && !(err instanceof ConcurrencyError)) throw err;
        await this.deps.sleep(Math.random() * 5 * (attempt + 1)); // changed meanwhile: again, a little apart from the others
        continue;
      }
      this.deps.debug({ lane: key, queued: added, holder: saved.value.holder, queue: saved.value.queue.length }, 'lane joined');
      // Items just stored, queued in a lane this process holds, are delivered from memory (no read). Anything else (a
      // sweep's or an older copy) is read again when its turn comes: it may have been delivered meanwhile.
      if (free && fresh) for (const job of jobs) this.accepted.set(job.item.id, { job, at: now });
      if (!free) {
        this.parked.set(key, now);
        return {};
      }
      // One serve waiting per lane is enough: a serve reads the document again whenever it has changed.
      const waiting = this.waitingServes.get(key);
      if (waiting) return { served: waiting };
      const behind = this.deps.local.busy(escalationId, direction);
      const served = this.deps.local.enqueue(escalationId, direction, () => {
        this.waitingServes.delete(key);
        return this.serve(escalationId, direction, behind ? undefined : saved, known);
      });
      this.waitingServes.set(key, served);
      return { served };
    }
    throw new ConcurrencyError(`lane ${key}`);
  }

  /** Delivers the lane's queue in order while this process holds the lane, then gives it back. */
  private async serve(escalationId: string, direction: Outbound, start: Versioned<LaneDoc> | undefined, known?: Escalation): Promise<void> {
    const wait = this.deps.graceUntil() - this.deps.now();
    if (wait > 0) await this.deps.sleep(wait);
    const key = laneKey(escalationId, direction);
    const hold: LaneHold = { key, doc: start ?? (await this.deps.lanes.get(key)) ?? { value: { until: 0, queue: [] }, etag: '' } };
    try {
      await this.serveHeld(escalationId, direction, hold, known);
    } finally {
      // Items left in the queue (another process took the lane over) are read again by whoever delivers them here.
      for (const id of hold.doc.value.queue) this.accepted.delete(id);
    }
  }

  private async serveHeld(escalationId: string, direction: Outbound, hold: LaneHold, known?: Escalation): Promise<void> {
    const me = this.deps.me;
    let e: Escalation | undefined = known;
    let sent = false;
    // Rounds without progress (only lost writes) are bounded; rounds that deliver are not.
    for (let stalls = 0; stalls < LANE_WRITE_ATTEMPTS; ) {
      const doc = hold.doc.value;
      if (doc.holder !== me) {
        if (doc.holder && doc.until > this.deps.now()) return; // another process serves it now
        if (!(await this.writeLane(hold, { ...doc, holder: me, until: this.deps.now() + this.deps.leaseMs }))) {
          stalls++;
          continue;
        }
      }
      const done: string[] = [];
      if (hold.doc.value.queue.length > 0) {
        e ??= (await this.deps.escalations.get(escalationId))?.value;
        if (e && !sent && hold.doc.value.memo !== undefined) this.deps.memory.import(e, direction, hold.doc.value.memo);
        for (const id of hold.doc.value.queue) {
          const job = this.accepted.get(id)?.job ?? (await this.deps.readJob(escalationId, id));
          this.accepted.delete(id);
          if (job && job.item.delivery.state === 'pending' && !this.deps.local.inFlight.has(id)) {
            if (!e) {
              await this.deps.sender.giveUp(job, 'the escalation no longer exists');
            } else {
              this.deps.local.inFlight.add(id);
              try {
                if ((await this.deps.sender.deliver(e, job, () => this.keepLaneHeld(hold))) === 'lost') return;
              } finally {
                this.deps.local.inFlight.delete(id);
              }
              sent = true;
            }
          }
          done.push(id);
        }
      }
      // Drop what was delivered and give the lane back, leaving the lane's recent sends for the next holder. If an item
      // was appended meanwhile the write fails: deliver the newer queue (without what this round did) first.
      const memo = sent && e ? this.deps.memory.export(e, direction) : hold.doc.value.memo;
      const remaining = (queue: string[]) => queue.filter((id) => !done.includes(id));
      const rest = remaining(hold.doc.value.queue); // a renewal during the round may have brought newer items
      if (await this.writeLane(hold, rest.length > 0 ? { ...hold.doc.value, queue: rest, memo } : { queue: [], until: 0, memo })) {
        if (rest.length === 0) {
          this.parked.delete(hold.key);
          return;
        }
        continue;
      }
      hold.doc = { ...hold.doc, value: { ...hold.doc.value, queue: remaining(hold.doc.value.queue) } };
      if (done.length === 0) stalls++;
    }
    this.deps.warn({ lane: hold.key }, 'lane changed too often; the sweep takes it up again');
  }

  /** A conditional write of the lane document; false (with the newest version in `hold`) when it changed meanwhile. */
  private async writeLane(hold: LaneHold, next: LaneDoc): Promise<boolean> {
    try {
      hold.doc = await this.deps.lanes.put(hold.key, next, hold.doc.etag || undefined);
      return true;
    } catch (err) {
      if (!(err instanceof ConcurrencyError) && !(err instanceof ConflictError)) throw err;
      // An empty version stands for a document that is gone (expired): the next write creates it.
      hold.doc = (await this.deps.lanes.get(hold.key)) ?? { value: { until: 0, queue: [] }, etag: '' };
      return false;
    }
  }

  /** The lane's lease, renewed when it runs low; false when another process holds the lane now. */
  private async keepLaneHeld(hold: LaneHold): Promise<boolean> {
    const me = this.deps.me;
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const doc = hold.doc.value;
      if (doc.holder !== me) return false;
      if (doc.until - this.deps.now() > this.deps.leaseMs / 2) return true;
      if (await this.writeLane(hold, { ...doc, until: this.deps.now() + this.deps.leaseMs })) return true;
    }
    return false;
  }
}
