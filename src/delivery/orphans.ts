/**
 * What the sweep recovers: lanes whose holder died with entries waiting, and items whose process died before
 * delivering them (their lease ran out; the store's query returns only those).
 */
import type { Escalation } from '../core/escalation';
import type { Logger } from '../core/logger';
import type { OutboxStore, Recorded, TranscriptStore, Versioned } from '../core/ports';
import { bySeq, type Outbound, type OutboxItem } from '../core/transcript';
import { describe } from './deliveryError';
import type { ItemLeases } from './itemLeases';
import type { LocalLanes } from './localLanes';
import type { DeliveryStores } from './relay';
import type { Job, Sender } from './sender';
import type { SharedLanes } from './sharedLanes';

/** The most lanes and items one sweep takes up (the next sweep takes the rest). */
export const SWEEP_BATCH = 500;

export interface OrphanDeps extends Pick<DeliveryStores, 'escalations' | 'lanes' | 'transcripts' | 'outbox'> {
  sharedLanes: SharedLanes;
  leases: ItemLeases;
  sender: Sender;
  local: LocalLanes;
  log: Logger;
  now: () => number;
  /** True while other processes serve (or served within a lease period) the same store. */
  shared: () => boolean;
  dispatch: (e: Escalation, recorded: Recorded) => Promise<void>;
}

export async function recoverOrphans(deps: OrphanDeps): Promise<void> {
  const now = deps.now();
  // Lanes whose holder died with entries waiting (their queued items have no lease of their own): taken and served.
  const stalled = await deps.lanes.stalled(now, SWEEP_BATCH).catch((err) => (deps.log.warn({ err: describe(err) }, 'could not look for stalled lanes'), []));
  for (const key of stalled) await deps.sharedLanes.resume(key).catch((err) => deps.log.warn({ lane: key, err: describe(err) }, 'could not resume a lane'));
  const orphans = (await inBothStores(deps, (s) => s.reclaimable(now, SWEEP_BATCH))).filter(({ item }) => !deps.local.inFlight.has(item.id));
  const byLane = byLaneInOrder(orphans);
  if (orphans.length > 0) deps.log.info({ items: orphans.length, lanes: byLane.length }, 'recovering undelivered items');
  for (const { escalationId, direction, jobs } of byLane) {
    const lane = `${escalationId}|${direction}`;
    const e = (await deps.escalations.get(escalationId))?.value;
    // Shared (or a lane that may list lines this process did not deliver): the lane is what makes one process deliver
    // each (an id already listed keeps its entry), and its holder takes the item's lease right before sending it. A
    // lease taken here would only be given back to that holder.
    if (e && (deps.shared() || deps.sharedLanes.isParked(escalationId, direction))) {
      await deps.sharedLanes.join(escalationId, direction, jobs, e).catch((err) => deps.log.warn({ lane, err: describe(err) }, 'could not queue orphans'));
      continue;
    }
    // Alone: taken with a conditional write, so only one process delivers each; served in the order received.
    const taken = (await Promise.all(jobs.map((j) => deps.leases.take(j)))).filter((j): j is Job => j !== undefined);
    if (!e) for (const job of taken) await deps.sender.giveUp(job, 'the escalation no longer exists');
    else for (const job of taken) void deps.dispatch(e, { item: job.item, etag: job.etag, duplicate: false });
  }
}

/** One query's answers from the lines and the card changes alike, as jobs. */
export async function inBothStores(stores: Pick<DeliveryStores, 'transcripts' | 'outbox'>, query: (s: OutboxStore | TranscriptStore) => Promise<Array<Versioned<OutboxItem>>>): Promise<Job[]> {
  const found = await Promise.all([query(stores.transcripts), query(stores.outbox)]);
  return found.flat().map(({ value, etag }) => ({ item: value, etag }));
}

/** Items grouped by lane (escalation and direction), each lane's in intake order. */
export function byLaneInOrder(jobs: Job[]): Array<{ escalationId: string; direction: Outbound; jobs: Job[] }> {
  const lanes = new Map<string, { escalationId: string; direction: Outbound; jobs: Job[] }>();
  for (const job of [...jobs].sort((a, b) => bySeq(a.item, b.item))) {
    const { escalationId, direction } = job.item;
    if (direction === 'internal') continue;
    const key = `${escalationId}|${direction}`;
    const lane = lanes.get(key) ?? { escalationId, direction, jobs: [] };
    lane.jobs.push(job);
    lanes.set(key, lane);
  }
  return [...lanes.values()];
}
