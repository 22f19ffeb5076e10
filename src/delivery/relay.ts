/**
 * The delivery room behind the core's Outbox port: every item (line, notice, card change) is stored before the request
 * that caused it is answered, then delivered in order per escalation and direction, retried on transient failures
 * (one policy), fenced (a process that lost its lease never sends), and reported visibly when it finally fails.
 *
 * A lone process delivers an item under the item's own lease. Processes say they are alive at every sweep; while a
 * process knows of others, lanes are delivered under lane documents (sharedLanes.ts). A process whose lease ran out
 * (it died) leaves its items to the sweep of any process, whose query returns only expired, undelivered items.
 */
import type { Escalation } from '../core/escalation';
import { ConflictError } from '../core/errors';
import type { Ledger } from '../core/ledger';
import type { Logger } from '../core/logger';
import type { EscalationStore, LookupStore, Outbox, OutboxStore, Recorded, TranscriptStore } from '../core/ports';
import { CARD_ITEM_PREFIX, type Outbound, type OutboxItem } from '../core/transcript';
import { AloneSends } from './aloneSends';
import { describe } from './deliveryError';
import { ItemLeases } from './itemLeases';
import { LocalLanes } from './localLanes';
import { SWEEP_BATCH, byLaneInOrder, inBothStores, recoverOrphans } from './orphans';
import type { AgentDesk, CustomerChannel, InstanceRegistry, LaneMemory, LaneStore, Registry } from './ports';
import type { RetrySettings } from './retryPolicy';
import { Sender, type Job, type SenderDeps } from './sender';
import { acceptInLane, type LaneIntake } from './laneIntake';
import { Peers } from './peers';
import { SharedLanes } from './sharedLanes';

export interface RelayOptions extends RetrySettings {
  /** This process's name on leases: unique per process (two processes never share it). */
  instanceId: string;
  /** How long an accepted item is reserved for the process that accepted it. */
  leaseMs: number;
  /** How often the sweep looks for items whose process died; 0 turns the sweep off. */
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

export interface DeliveryStores {
  escalations: EscalationStore;
  lookups: LookupStore;
  transcripts: TranscriptStore;
  outbox: OutboxStore;
  lanes: LaneStore;
  instances: InstanceRegistry;
}

export interface RelayDeps {
  store: DeliveryStores;
  customers: Registry<CustomerChannel>;
  desks: Registry<AgentDesk>;
  log: Logger;
  options?: Partial<RelayOptions>;
  memory?: LaneMemory;
  /** Epoch milliseconds; tests pass their own (or use fake timers). */
  now?: () => number;
  /** Signed links to stored images, made at each send. */
  fileLinks?: SenderDeps['fileLinks'];
}

/** A lone process, or an edge with nothing to hand over. */
const forgetful: LaneMemory = { export: () => undefined, import: () => undefined, instances: () => undefined };

export class Relay implements Outbox {
  private readonly store: DeliveryStores;
  private readonly log: Logger;
  private readonly options: RelayOptions;
  private readonly memory: LaneMemory;
  private readonly now: () => number;
  private readonly local: LocalLanes;
  private readonly sender: Sender;
  private readonly leases: ItemLeases;
  private readonly sharedLanes: SharedLanes;
  private ledger?: Ledger;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private readonly peers: Peers;
  private readonly intake: LaneIntake;
  private readonly alsoOnSweep: Array<() => Promise<unknown>> = [];
  /** Items this process delivers under their own lease (accepted while it was alone), in the order dispatched. */
  private readonly ownLease = new Map<string, Job>();
  private readonly aloneSends: AloneSends;
  private handingOver?: Promise<void>;
  /** Sweeps completed since start (the health check reports it: tests and operators see recovery running). */
  sweeps = 0;

  constructor(deps: RelayDeps) {
    this.store = deps.store;
    this.log = deps.log;
    this.options = { ...defaultRelayOptions, ...deps.options };
    this.memory = deps.memory ?? forgetful;
    this.now = deps.now ?? Date.now;
    this.local = new LocalLanes(this.log);
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    this.leases = new ItemLeases((item) => this.sender.storeOf(item), this.options.instanceId, this.options.leaseMs, this.now);
    this.sender = new Sender({ ...this.store, outboxItems: this.store.outbox, customers: deps.customers, desks: deps.desks, log: this.log, retry: this.options, leaseMs: this.options.leaseMs, now: this.now, sleep, fileLinks: deps.fileLinks, leases: this.leases });
    this.aloneSends = new AloneSends({ lanes: this.store.lanes, escalations: this.store.escalations, memory: this.memory, now: this.now, warn: (obj, msg) => this.log.warn(obj, msg), heartbeats: this.options.sweepIntervalMs > 0 });
    // Sharing starts: the lines this process still sends under their own lease go into their lanes, in front of the
    // lines a peer took in since (the peer's joining grace leaves it a sweep interval for that before it sends). At
    // the same time the lanes it sent in lately get its recent sends, in the background (many lanes must not hold up
    // its heartbeats), after any hand-over still running (a hand-over never rejects; stop() waits for the last).
    const sharingStarts = async () => {
      this.handingOver = (this.handingOver ?? Promise.resolve()).then(() => this.aloneSends.handOver());
      await this.listInLanes([...this.ownLease.values()]);
    };
    this.peers = new Peers({ instances: this.store.instances, memory: this.memory, options: this.options, now: this.now, sleep, sharingStarts, warn: (obj, msg) => this.log.warn(obj, msg) });
    this.sharedLanes = new SharedLanes({
      lanes: this.store.lanes,
      escalations: this.store.escalations,
      sender: this.sender,
      local: this.local,
      memory: this.memory,
      me: this.options.instanceId,
      leaseMs: this.options.leaseMs,
      now: this.now,
      sleep,
      readJob: (escalationId, id) => this.readJob(escalationId, id),
      leases: this.leases,
      graceUntil: () => this.peers.graceUntil,
      debug: (obj, msg) => this.log.debug(obj, msg),
      warn: (obj, msg) => this.log.warn(obj, msg),
    });
    this.intake = { lanes: this.sharedLanes, sender: this.sender, readJob: (escalationId, id) => this.readJob(escalationId, id), now: this.now, leaseMs: this.options.leaseMs };
  }

  /** The core's ledger: the delivery records what it causes (the thread's place, an unreachable customer) through it. */
  attach(ledger: Ledger): void {
    this.ledger = ledger;
    this.sender.attach(ledger, this);
  }

  /**
   * Stores an item, leased to this process. `duplicate: true` when an item with its id exists (a retried activity or
   * event), so it is processed once. Store failures propagate (the edge answers 503).
   */
  async record(item: OutboxItem, e: Escalation): Promise<Recorded> {
    const direction = item.direction === 'internal' ? undefined : item.direction;
    // While processes share the store, an item is in its lane's queue before it is acknowledged: a process that dies
    // right after answering leaves it in its place in line.
    if (direction && (this.shared() || this.sharedLanes.isParked(item.escalationId, direction))) {
      const accepted = await acceptInLane(this.intake, item, e, direction);
      // Joining: in its lane, but acknowledged only once the peers have seen this process (peers.ts says why).
      await this.peers.seenByPeers();
      return accepted;
    }
    if (direction) item.delivery = this.leases.leased(item.delivery);
    try {
      const saved = await this.sender.storeOf(item).append(item);
      return { item: saved.value, etag: saved.etag, duplicate: false };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // Stored by this very call when the store's answer was lost and its retry found the item (Cosmos: 409 after a
      // reset connection): pending under this process's lease and queued by nobody. It is delivered now, in its place,
      // not left to the sweep after its lease runs out, with later lines overtaking it.
      const found = direction ? await this.readJob(item.escalationId, item.id) : undefined;
      const d = found?.item.delivery;
      if (found && d?.state === 'pending' && this.leases.heldHere(d) && !this.local.inFlight.has(item.id)) return { item: found.item, etag: found.etag, duplicate: false };
      return { item, etag: '', duplicate: true };
    }
  }

  /** Queues delivery of a stored item. The returned promise settles when it is delivered or given up. */
  dispatch(e: Escalation, recorded: Recorded): Promise<void> {
    const { item } = recorded;
    if (recorded.served) return recorded.served; // queued in its lane when it was recorded
    if (item.direction === 'internal' || this.local.inFlight.has(item.id) || recorded.duplicate) return Promise.resolve();
    const direction = item.direction;
    const job: Job = { item, etag: recorded.etag };
    if (this.shared() || this.sharedLanes.isParked(e.id, direction)) return this.join(e.id, direction, [job], e);
    this.local.inFlight.add(item.id);
    this.ownLease.set(item.id, job);
    return this.local.enqueue(e.id, direction, async () => {
      try {
        // Under its own lease even if another process appeared meanwhile: lines this process queued in the lane since
        // then wait behind it in this chain, and the lane lists it (listInLanes), so no process's lines overtake it.
        // Lost: another process took it over.
        await this.sender.deliver(e, job, () => this.leases.keep(job));
      } finally {
        this.local.inFlight.delete(item.id);
        this.ownLease.delete(item.id);
        this.aloneSends.noted(e, direction);
      }
    });
  }

  /** Runs `work` at the end of every sweep (the timekeeper): one loop, one interval, one health figure. */
  alsoSweep(work: () => Promise<unknown>): void {
    this.alsoOnSweep.push(work);
  }

  /** True while other processes serve (or served within a lease period) the same store. */
  shared(): boolean {
    return this.peers.shared();
  }

  /** Says this process is alive, recovers what dead processes left, then sweeps periodically. */
  async start(): Promise<void> {
    if (this.options.sweepIntervalMs > 0) await this.peers.join();
    // Lines another process is still sending under their own lease (it is alone and sees this one only at its next
    // heartbeat, or it died and the lease has not run out): listed in their lanes first, so no line accepted here
    // overtakes them. Whoever holds such a lane waits for that send, or for the lease to run out and then sends it.
    const now = this.now();
    const elsewhere = await inBothStores(this.store, (s) => s.leasedElsewhere(this.options.instanceId, now, SWEEP_BATCH)).catch(
      (err) => (this.log.warn({ err: describe(err) }, 'could not look for lines other processes are sending'), []),
    );
    await this.listInLanes(elsewhere);
    await this.sweep();
    if (this.options.sweepIntervalMs > 0) {
      // A sweep that runs long (a backlog, a slow store) must not silence this process: peers would think it dead and
      // stop sharing lanes it still serves. While one runs, the interval says this process is alive on its own.
      this.sweepTimer = setInterval(() => (this.sweeping ? this.beatWhileSweeping() : void this.sweep()), this.options.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.all([this.sweeping, this.peers.settled()]);
    await this.handingOver; // started by the last heartbeat, perhaps
    await this.idle();
    if (this.options.sweepIntervalMs > 0) await this.peers.leave().catch((err) => this.log.warn({ err: describe(err) }, 'could not say this process is gone'));
  }

  idle(): Promise<void> {
    return this.local.idle();
  }

  /** Queues undelivered items whose process is gone, and stores the effects a failed request left unsettled. */
  sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    this.sweeping = this.sweepOnce()
      .then(() => void this.sweeps++)
      .catch((err) => this.log.error({ err: describe(err), stack: (err as Error)?.stack }, 'delivery sweep failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private beatWhileSweeping(): void {
    void this.peers.beat().catch((err) => this.log.warn({ err: describe(err) }, 'heartbeat failed'));
  }

  /** Lists items under their own lease in their lanes, by intake (sharedLanes.join), each lane served where held. */
  private async listInLanes(jobs: Job[]): Promise<void> {
    for (const { escalationId, direction, jobs: laneJobs } of byLaneInOrder(jobs)) {
      await this.sharedLanes.join(escalationId, direction, laneJobs).then(
        ({ served }) => void served,
        (err) => this.log.warn({ escalationId, direction, err: describe(err) }, 'could not list lines sent under their own lease in their lane'),
      );
    }
  }

  private async sweepOnce(): Promise<void> {
    if (this.options.sweepIntervalMs > 0) await this.peers.beat();
    this.sharedLanes.prune();
    this.aloneSends.prune();
    // Changes whose effects a failed request did not store: give the request a lease period to finish first.
    if (this.ledger) {
      const stale = new Date(this.now() - Math.min(this.options.leaseMs, 30_000)).toISOString();
      for (const v of await this.store.escalations.unsettled(stale, 50)) await this.ledger.settle(v).catch((err) => this.log.warn({ escalationId: v.value.id, err: describe(err) }, 'could not settle events'));
    }
    await recoverOrphans({ ...this.store, sharedLanes: this.sharedLanes, leases: this.leases, sender: this.sender, local: this.local, log: this.log, now: this.now, shared: () => this.shared(), dispatch: (e, recorded) => this.dispatch(e, recorded) });
    for (const work of this.alsoOnSweep) await work().catch((err) => this.log.warn({ err: describe(err) }, 'sweep work failed'));
  }

  private async join(escalationId: string, direction: Outbound, jobs: Job[], known?: Escalation): Promise<void> {
    try {
      const { served } = await this.sharedLanes.join(escalationId, direction, jobs, known);
      await served;
    } catch (err) {
      // The item stays stored and pending: the sweep queues it once its lease runs out.
      this.log.warn({ escalationId, err: describe(err) }, 'could not queue an item in its lane now; the sweep will');
    }
  }

  private async readJob(escalationId: string, id: string): Promise<Job | undefined> {
    const store = id.startsWith(CARD_ITEM_PREFIX) ? this.store.outbox : this.store.transcripts;
    const found = await store.get(escalationId, id);
    return found && { item: found.value, etag: found.etag };
  }
}
