/**
 * Lanes while several processes serve one store. Each lane (one escalation and direction) has a lane document: its
 * holder (the one process delivering it, until its lease runs out) and the entries waiting, numbered in the order
 * appended, whichever process accepted them. A process accepting an item appends its entry first (taking the lane
 * when it is free), then stores the item as 'queued' under that number. The holder delivers the entries in order and
 * removes each delivered entry with a write conditional on the document's version (an entry appended meanwhile makes
 * it fail, and it is written again on the newer version), giving the lane back with the last one. That removal is the
 * delivered record of a queued item, so a line costs three writes (entry, item, removal) and no query. Items that carry their own state (accepted while this process was
 * alone, recovered by the sweep) join a lane too; their delivered state is written on the item as usual.
 */
import type { Escalation } from '../core/escalation';
import { ConcurrencyError, ConflictError } from '../core/errors';
import type { EscalationStore, Versioned } from '../core/ports';
import type { Outbound } from '../core/transcript';
import type { ItemLeases } from './itemLeases';
import { emptyLane, givenBack, laneKey, parseLaneKey, sameEntry, wasDropped, withEntries, withEntriesByIntake, withoutEntry } from './laneDocs';
import type { LaneDoc, LaneEntry, LaneMemory, LaneStore } from './ports';
import { LaneEntries } from './laneEntries';
import { LANE_WRITE_ATTEMPTS, LaneHold } from './laneHold';
import type { Job, Sender } from './sender';
import type { LocalLanes } from './localLanes';

/** While an entry's item is not stored yet (its acceptor is writing it), the holder looks again at most this often. */
const MISSING_RETRY_MS = 100;
/** While an item with its own lease is sent by another process, the holder looks again at most this often. */
const ELSEWHERE_RETRY_MS = 1_000;
/** A joining process looks at its clock at least this often while it waits out its grace. */
const GRACE_STEP_MS = 100;

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
  /** Items' own leases: taken over from a process whose lease ran out, given up, stamped on a delivery state. */
  leases: ItemLeases;
  /** Until then a joining process delivers nothing (the others have not seen its heartbeat yet). */
  graceUntil: () => number;
  debug: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
}

/** What appending gave: each id's entry, and (when this process holds the lane now) a way to serve it. */
export interface Appended {
  entries: Map<string, LaneEntry>;
  /** Serves the lane here, `accepted` being items just stored (delivered without reading them back). */
  serve?: (accepted: Job[]) => Promise<void>;
}

export class SharedLanes {
  private readonly entries: LaneEntries;
  /** Per lane, a serve queued here and not started yet. */
  private readonly waitingServes = new Map<string, Promise<void>>();
  /**
   * Lanes that may list entries this process did not deliver (queued behind another holder, left by a serve that
   * stopped, found stalled by the sweep), since when. Until this process has served such a lane empty, its new items
   * go through the lane too, even once it is alone: a lane's entries must not be overtaken by a line sent directly.
   */
  private readonly parked = new Map<string, number>();

  constructor(private readonly deps: SharedLanesDeps) {
    this.entries = new LaneEntries(deps);
  }

  /** Forgets items handed to another holder long ago (it delivered them). */
  prune(): void {
    this.entries.prune();
    // By then the sweep has taken up whatever was left there (its holder's lease ran out long ago).
    for (const [key, at] of this.parked) if (this.deps.now() - at > 4 * this.deps.leaseMs) this.parked.delete(key);
  }

  /** True while items this process queued behind another holder may still wait in the lane. */
  isParked(escalationId: string, direction: Outbound): boolean {
    return this.parked.size > 0 && this.parked.has(laneKey(escalationId, direction));
  }

  /**
   * Lists items that carry their own delivery state in their lane and serves the lane here when this process holds
   * it. Queued behind another live holder instead, their leases here are given up at once: that holder sends them, and
   * it waits for an item another process leases (that process may be sending it), so a lease kept here would stall
   * the lane.
   */
  async join(escalationId: string, direction: Outbound, jobs: Job[], known?: Escalation, fresh = false): Promise<{ served?: Promise<void> }> {
    // Placed by intake, not at the end: such an item came before the lines appended since (it waited elsewhere).
    const intake = jobs.map((j) => ({ id: j.item.id, at: Date.parse(j.item.at) }));
    const { serve } = await this.change(escalationId, direction, (doc) => withEntriesByIntake(doc, intake), known);
    // Until the lane is served empty, this process's new lines (and the sweep's finds) go through it, behind these.
    this.parked.set(laneKey(escalationId, direction), this.deps.now());
    // A release that fails leaves the lease to run out: the holder then takes the item over (later, not never).
    // Only a lease still running: one that ran out (an orphan of this process the sweep found) needs no write, and a
    // write at every sweep would change the item under the holder's take. An item this process is sending now keeps
    // its lease: the holder waits for that send instead of making a second one.
    if (!serve) for (const job of jobs) if (this.deps.leases.heldHere(job.item.delivery) && !this.deps.local.inFlight.has(job.item.id)) await this.deps.leases.release(job).catch(() => undefined);
    return { served: serve?.(fresh ? jobs : []) };
  }

  /** A lane the sweep found with entries behind a lease that ran out: taken and served here. */
  async resume(key: string): Promise<void> {
    const lane = parseLaneKey(key);
    if (!lane) return;
    this.parked.set(key, this.deps.now());
    const { serve } = await this.append(lane.escalationId, lane.direction, []);
    void serve?.([]);
  }

  /**
   * Appends entries for `ids` (an id already waiting keeps its entry and number), taking the lane when it is free or
   * already this process's. With no ids, takes a free lane that still lists entries.
   */
  append(escalationId: string, direction: Outbound, ids: string[], known?: Escalation): Promise<Appended> {
    return this.change(escalationId, direction, (doc, now) => withEntries(doc, ids, now), known);
  }

  /** Adds the entries `entering` gives (on the newest version, again after each lost write), taking a free lane. */
  private async change(escalationId: string, direction: Outbound, entering: (doc: LaneDoc, now: number) => ReturnType<typeof withEntries>, known?: Escalation): Promise<Appended> {
    const key = laneKey(escalationId, direction);
    const me = this.deps.me;
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const current = await this.deps.lanes.get(key);
      const now = this.deps.now();
      const doc: LaneDoc = current?.value ?? emptyLane();
      const { next, entries, added } = entering(doc, now);
      const free = !doc.holder || doc.holder === me || doc.until <= now;
      if (!free) {
        // Another live holder delivers it (and, when something was added, sees it when its next write fails).
        this.parked.set(key, now);
        if (added === 0) return { entries };
      } else if (added === 0) {
        if (doc.queue.length === 0) return { entries };
        // Held here already (a retried request, a serve that stopped): serve it, without a write.
        if (doc.holder === me && doc.until > now) return { entries, serve: (accepted) => this.serveHere(escalationId, direction, current!, accepted, known) };
      }
      let saved: Versioned<LaneDoc>;
      try {
        saved = await this.deps.lanes.put(key, free ? { ...next, holder: me, until: now + this.deps.leaseMs } : next, current?.etag);
      } catch (err) {
        if (!(err instanceof ConflictError) && !(err instanceof ConcurrencyError)) throw err;
        await this.deps.sleep(Math.random() * 5 * (attempt + 1)); // changed meanwhile: again, a little apart from the others
        continue;
      }
      this.deps.debug({ lane: key, added, holder: saved.value.holder, queue: saved.value.queue.length }, 'lane joined');
      if (!free) return { entries };
      return { entries, serve: (accepted) => this.serveHere(escalationId, direction, saved, accepted, known) };
    }
    throw new ConcurrencyError(`lane ${key}`);
  }

  /**
   * An acceptor's item was stored late, or turned out stored already under an older entry. Still listed: its entry
   * is marked stored, so a holder that just found it missing cannot drop it (that write fails on the new version).
   * Dropped meanwhile: the item is handed back to the lane as one with its own state.
   */
  async rescue(escalationId: string, direction: Outbound, job: Job, known?: Escalation): Promise<{ requeued: boolean; served?: Promise<void> }> {
    const key = laneKey(escalationId, direction);
    const entry = { id: job.item.id, seq: job.item.delivery.laneSeq ?? -1 };
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const current = await this.deps.lanes.get(key);
      const doc = current?.value;
      const waiting = doc?.queue.find((q) => sameEntry(q, entry));
      if (!doc || (!waiting && !wasDropped(doc, entry))) return { requeued: false }; // delivered: nothing to do
      if (waiting) {
        try {
          await this.deps.lanes.put(key, { ...doc, queue: doc.queue.map((q) => (q === waiting ? { ...q, stored: true } : q)) }, current!.etag);
          return { requeued: false };
        } catch (err) {
          if (!(err instanceof ConcurrencyError) && !(err instanceof ConflictError)) throw err;
          continue;
        }
      }
      const own = { ...job.item, delivery: this.deps.leases.leased({ ...job.item.delivery, state: 'pending', laneSeq: undefined }) };
      const saved = await this.deps.sender.storeOf(own).replace(own, job.etag);
      this.deps.warn({ lane: key, itemId: job.item.id }, 'an item stored after its lane entry was dropped is queued again');
      return { requeued: true, ...(await this.join(escalationId, direction, [{ item: saved.value, etag: saved.etag }], known, true)) };
    }
    throw new ConcurrencyError(`lane ${key}`);
  }

  private serveHere(escalationId: string, direction: Outbound, saved: Versioned<LaneDoc>, accepted: Job[], known?: Escalation): Promise<void> {
    const key = laneKey(escalationId, direction);
    this.entries.accept(accepted);
    // One serve waiting per lane is enough: a serve reads the document again whenever it has changed.
    const waiting = this.waitingServes.get(key);
    if (waiting) return waiting;
    const behind = this.deps.local.busy(escalationId, direction);
    const served = this.deps.local.enqueue(escalationId, direction, () => {
      this.waitingServes.delete(key);
      return this.serve(escalationId, direction, behind ? undefined : saved, known);
    });
    this.waitingServes.set(key, served);
    return served;
  }

  /** Delivers the lane's entries in order while this process holds the lane, then gives it back. */
  private async serve(escalationId: string, direction: Outbound, start: Versioned<LaneDoc> | undefined, known?: Escalation): Promise<void> {
    // Waited out in short steps: the grace ends by this process's clock (and an injected one), not a timer's.
    if (this.deps.graceUntil() > this.deps.now()) {
      while (this.deps.graceUntil() > this.deps.now()) await this.deps.sleep(Math.min(GRACE_STEP_MS, this.deps.graceUntil() - this.deps.now()));
      start = undefined; // the others may have placed lines before this one meanwhile (they saw this process join)
    }
    const key = laneKey(escalationId, direction);
    const hold = new LaneHold(this.deps.lanes, key, this.deps.me, this.deps.leaseMs, this.deps.now, start ?? (await this.deps.lanes.get(key)) ?? { value: emptyLane(), etag: '' });
    try {
      await this.serveHeld(escalationId, direction, hold, known);
    } finally {
      // Entries left (another process took over, or this serve stopped): read again by whoever delivers them, and
      // this process's new items queue behind them.
      for (const q of hold.doc.value.queue) this.entries.forget(q.id);
      if (hold.doc.value.queue.length > 0) this.parked.set(key, this.deps.now());
    }
  }

  private async serveHeld(escalationId: string, direction: Outbound, hold: LaneHold, known?: Escalation): Promise<void> {
    const me = this.deps.me;
    // The escalation as this serve knows it; delivering an entry reads it again when a line was accepted against a newer one.
    const view: { e?: Escalation } = { e: known };
    const memoSeen = { reads: 0 };
    // Rounds without progress (lost writes) are bounded; rounds that deliver, or wait for an item being stored, are not.
    for (let stalls = 0, waits = 0; stalls < LANE_WRITE_ATTEMPTS; ) {
      const doc = hold.doc.value;
      if (doc.holder !== me) {
        if (doc.queue.length === 0) return; // nothing to serve (another serve here gave it back just now)
        if (doc.holder && doc.until > this.deps.now()) return; // another process serves it now
        if (!(await hold.write({ ...doc, holder: me, until: this.deps.now() + this.deps.leaseMs }))) {
          stalls++;
          continue;
        }
      }
      const entry = hold.doc.value.queue[0];
      if (!entry) {
        if (await hold.write(givenBack(hold.doc.value))) return void this.parked.delete(hold.key);
        stalls++;
        continue;
      }
      view.e ??= (await this.deps.escalations.get(escalationId))?.value;
      this.takeMemo(hold, view.e, direction, memoSeen);
      const outcome = await this.entries.deliver(escalationId, direction, view, entry, hold);
      if (outcome === 'lost') return;
      if (outcome === 'missing' || outcome === 'elsewhere') {
        // Its acceptor is still storing it (it stores right after appending), or another process is sending it under
        // its own lease: look again shortly, keeping the lane's lease, and nothing behind it overtakes it.
        await this.deps.sleep(Math.min(outcome === 'missing' ? MISSING_RETRY_MS : ELSEWHERE_RETRY_MS, 5 * 2 ** waits++));
        if (!(await hold.keep())) return;
        continue;
      }
      waits = 0;
      // The escalation as read before its announcement (a new one, or one transferred to a queue) has no thread:
      // read again, so the thread's first calls (its creation, the card's update) are handed on under its name.
      if (outcome === 'sent' && view.e && direction === 'toDesk' && !view.e.deskRef) view.e = (await this.deps.escalations.get(escalationId))?.value ?? view.e;
      // Whatever the outcome: this process's recent sends there hold the lane's memo (taken in above, and again if the
      // lane changed before the removal) and what it sent itself (lines delivered under their own lease, skipped here).
      const memo = () => {
        this.takeMemo(hold, view.e, direction, memoSeen);
        return view.e ? this.deps.memory.export(view.e, direction) : undefined;
      };
      if (!(await this.removeEntry(hold, entry, outcome === 'dropped', memo))) return;
    }
    this.deps.warn({ lane: hold.key }, 'lane changed too often; the sweep takes it up again');
  }

  /**
   * Takes in the lane's memo (the recent sends of whoever delivered there before) when this serve first reads it, and
   * again whenever another process changed the lane since: a lone process's hand-over (aloneSends.ts) can land after
   * this serve read the lane, and this process's next memo, written over it, must include it.
   */
  private takeMemo(hold: LaneHold, e: Escalation | undefined, direction: Outbound, seen: { reads: number }): void {
    if (!e || seen.reads === hold.reads) return;
    seen.reads = hold.reads;
    if (hold.doc.value.memo !== undefined) this.deps.memory.import(e, direction, hold.doc.value.memo);
  }

  /**
   * Removes an entry that was delivered, skipped or dropped (the delivered record of a queued item), giving the lane
   * back with the last one. Retried on the newest version while the document changes; an entry to drop whose acceptor
   * marked it stored meanwhile stays (the next round reads its item). False when this serve ends here.
   */
  private async removeEntry(hold: LaneHold, entry: LaneEntry, drop: boolean, memoNow: () => unknown): Promise<boolean> {
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const doc = hold.doc.value;
      const listed = doc.queue.find((q) => sameEntry(q, entry));
      const ours = doc.holder === this.deps.me;
      if (!listed) return ours;
      if (drop && listed.stored && !entry.stored) return true; // stored since this serve read it: read its item again
      const memo = ours ? memoNow() : undefined;
      const next = withoutEntry(memo !== undefined ? { ...doc, memo } : doc, entry, drop);
      const last = ours && next.queue.length === 0;
      if (await hold.write(last ? givenBack(next) : next)) {
        if (last) this.parked.delete(hold.key);
        return ours && !last;
      }
    }
    throw new ConcurrencyError(`lane ${hold.key}`);
  }
}
