/**
 * One lane entry, as the lane's holder delivers it (sharedLanes.ts serves the lane and removes each entry after). Keeps
 * what makes that cheap and safe: the items this process just stored in a lane it holds (sent without reading them
 * back) and the queued items it sent (never sent again from here when removing their entry failed).
 */
import { BoundedCache } from '../core/boundedCache';
import type { Escalation } from '../core/escalation';
import type { Outbound } from '../core/transcript';
import { describe } from './deliveryError';
import type { LaneHold } from './laneHold';
import type { LaneEntry } from './ports';
import type { Job } from './sender';
import type { SharedLanesDeps } from './sharedLanes';

/** An entry marked stored whose item still cannot be read is given up after this many leases (reported). */
const STORED_PATIENCE_LEASES = 4;

export type EntryOutcome = 'sent' | 'skipped' | 'dropped' | 'missing' | 'elsewhere' | 'lost';

export type LaneEntryDeps = Pick<SharedLanesDeps, 'escalations' | 'sender' | 'local' | 'memory' | 'me' | 'leaseMs' | 'now' | 'readJob' | 'leases' | 'warn'>;

export class LaneEntries {
  /** Items this process accepted and queued in a lane it held: delivered without reading them back. */
  private readonly accepted = new Map<string, { job: Job; at: number }>();
  /** Queued items this process sent (the newest): if removing an entry failed, it is never sent again from here. */
  private readonly sentHere = new BoundedCache<true>(10_000);

  constructor(private readonly deps: LaneEntryDeps) {}

  /** Items just stored and queued in a lane this process holds. */
  accept(jobs: Job[]): void {
    for (const job of jobs) this.accepted.set(job.item.id, { job, at: this.deps.now() });
  }

  /** Forgets an item another holder delivers (this serve stopped with its entry still listed). */
  forget(id: string): void {
    this.accepted.delete(id);
  }

  /** Forgets items handed to another holder long ago (it delivered them). */
  prune(): void {
    for (const [id, { at }] of this.accepted) if (this.deps.now() - at > 4 * this.deps.leaseMs) this.accepted.delete(id);
  }

  /**
   * One entry: sent (or reported failed), skipped (delivered already, or a stale entry of a retried request), dropped
   * (its item was never stored), missing (its acceptor may still be storing it), elsewhere (another process sends it
   * under the item's own lease), or lost (another process holds the lane now).
   */
  async deliver(escalationId: string, direction: Outbound, view: { e?: Escalation }, entry: LaneEntry, hold: LaneHold): Promise<EntryOutcome> {
    if (this.sentHere.get(entry.id) || this.deps.local.inFlight.has(entry.id)) return 'skipped';
    const before = this.deps.now(); // the time the read started: a slow read never makes an entry look overdue
    let job = this.accepted.get(entry.id)?.job ?? (await this.deps.readJob(escalationId, entry.id));
    this.accepted.delete(entry.id);
    if (!job) {
      const patience = entry.stored ? STORED_PATIENCE_LEASES * this.deps.leaseMs : this.deps.leaseMs;
      if (before < entry.at + patience) return 'missing';
      if (entry.stored) this.deps.warn({ lane: hold.key, itemId: entry.id }, 'a lane entry marked stored has no readable item: given up');
      return 'dropped';
    }
    const d = job.item.delivery;
    // Accepted against a newer escalation than this serve's copy (a transfer moved it to another thread meanwhile):
    // read it again, so the line goes where the chat is now.
    if (view.e && d.escalationRev !== undefined && d.escalationRev > view.e.rev) view.e = (await this.deps.escalations.get(escalationId))?.value ?? view.e;
    const e = view.e;
    const queued = d.state === 'queued';
    if (queued ? d.laneSeq !== entry.seq : d.state !== 'pending') {
      // Delivered under its own lease, perhaps by another process (a lone one, when sharing began): its send counts in
      // this lane's windows too (twice at worst, when it was this process's: a little more waiting, never a burst).
      if (!queued && d.deliveredAt && e) this.deps.memory.sentElsewhere?.(e, direction, Date.parse(d.deliveredAt), d.partsSent);
      return 'skipped';
    }
    if (!e) {
      await this.deps.sender.giveUp(job, 'the escalation no longer exists');
      return 'skipped';
    }
    const leaseLive = (d.leaseUntil ?? 0) > before;
    if (!queued && (d.leaseOwner !== this.deps.me || !leaseLive)) {
      // Its own lease is another process's (a lone process still sending it when a request for it was retried here):
      // that process sends it. Once the lease has run out (an orphan the sweep queued here, whoever held it), or when
      // it has none, it is taken with a conditional write, then sent here.
      if (leaseLive) return 'elsewhere';
      const taken = await this.deps.leases.take(job);
      if (!taken) return 'elsewhere';
      job = taken;
    }
    this.deps.local.inFlight.add(entry.id);
    try {
      // A queued item's delivered record is its entry's removal; one with its own state gets it written.
      // An item with a lease of its own keeps that lease too while it is sent: a process that thinks itself alone
      // (it takes orphans by their lease, not through lanes) must not find it run out during a long send.
      const keep = queued ? () => hold.keep() : async () => (await hold.keep()) && (await this.deps.leases.keep(job));
      if ((await this.deps.sender.deliver(e, job, keep, { recordDelivered: !queued })) === 'lost') {
        // Its own lease is given back (a write on the version held), so the lane's new holder need not wait it out.
        if (!queued) await this.deps.leases.release(job).catch((err) => this.deps.warn({ itemId: entry.id, err: describe(err) }, 'could not give back an item lease'));
        return 'lost';
      }
    } finally {
      this.deps.local.inFlight.delete(entry.id);
    }
    if (queued) this.sentHere.set(entry.id, true);
    return 'sent';
  }
}
