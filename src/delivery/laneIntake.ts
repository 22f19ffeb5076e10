/**
 * Taking a line in while processes share lanes: its lane entry first, then the line stored as 'queued' under that
 * entry's number, and the lane served here when this process holds it (sharedLanes.ts says why in that order).
 */
import type { Escalation } from '../core/escalation';
import { ConflictError } from '../core/errors';
import type { Recorded } from '../core/ports';
import type { Outbound, OutboxItem } from '../core/transcript';
import type { Job, Sender } from './sender';
import type { SharedLanes } from './sharedLanes';

export interface LaneIntake {
  lanes: SharedLanes;
  sender: Sender;
  readJob: (escalationId: string, id: string) => Promise<Job | undefined>;
  now: () => number;
  /** How long a lane's holder waits for an entry's line before it drops the entry as never stored. */
  leaseMs: number;
}

/**
 * Appends the item's lane entry, then stores the item as 'queued' under that entry's number (no lease: the lane's
 * holder delivers it, and removing its entry records it delivered). A retried request finds its entry (or the
 * stored item) again; a store failure leaves an entry its holder drops once it is sure the item was never stored.
 */
export async function acceptInLane(deps: LaneIntake, item: OutboxItem, e: Escalation, direction: Outbound): Promise<Recorded> {
  const { entries, serve } = await deps.lanes.append(item.escalationId, direction, [item.id], e);
  const entry = entries.get(item.id)!;
  const queued = { ...item, delivery: { ...item.delivery, state: 'queued' as const, laneSeq: entry.seq, escalationRev: e.rev } } as OutboxItem;
  let job: Job;
  let duplicate = false;
  try {
    const saved = await deps.sender.storeOf(queued).append(queued);
    job = { item: saved.value, etag: saved.etag };
  } catch (err) {
    const found = err instanceof ConflictError ? await deps.readJob(item.escalationId, item.id) : undefined;
    if (!found) {
      void serve?.([]); // the lane is held here: serve what else it lists (this entry is dropped once its time is up)
      throw err;
    }
    job = found;
    duplicate = true;
  }
  const d = job.item.delivery;
  // Stored under an older entry (a retried request), or so long after its entry was appended (by this request or
  // an earlier one) that a holder may have given up on it.
  const late = deps.now() - entry.at > deps.leaseMs / 2;
  if (d.state === 'queued' && (d.laneSeq !== entry.seq || late)) {
    const rescued = await deps.lanes.rescue(item.escalationId, direction, job, e);
    if (rescued.requeued) return { item: job.item, etag: job.etag, duplicate, served: rescued.served ?? Promise.resolve() };
  }
  // An item with its own state (stored while this process was alone) is delivered through its entry as such.
  const served = serve?.(duplicate ? [] : [job]) ?? Promise.resolve();
  return { item: job.item, etag: job.etag, duplicate, served };
}
