/**
 * Delivers one outbox item: retried with the delivery room's policy while the caller still holds it, fenced right
 * before every network call, its outcome recorded on the item, a final failure reported to the other side.
 */
import { BoundedCache } from '../core/boundedCache';
import { customerUnreachable, type Escalation } from '../core/escalation';
import { ConcurrencyError } from '../core/errors';
import type { Ledger } from '../core/ledger';
import type { Logger } from '../core/logger';
import { notices } from '../core/notices';
import type { DeliveryItemStore, EscalationStore, LookupStore, Outbox, OutboxStore, TranscriptStore } from '../core/ports';
import { isCard, type Delivery, type FileRef, type OutboxItem } from '../core/transcript';
import { DeliveryError, LeaseLostError, describe } from './deliveryError';
import { DeskItems } from './deskItems';
import type { ItemLeases } from './itemLeases';
import type { AgentDesk, CustomerChannel, Fence, FileLink, PartProgress, Registry } from './ports';
import { sendRetry, withStoreRetry, type RetrySettings, type SendRetry } from './retryPolicy';

export interface Job {
  item: OutboxItem;
  etag: string;
}

/** Whether a delivery ended: done (delivered or reported failed), or stopped because this process lost it. */
export type Outcome = 'done' | 'lost';

/**
 * True while this process may deliver the item (its lease, or its lane's, is still its own). A plain boolean when no
 * store call was needed to know (a lease far from running out), so the fence before each send costs no promise.
 */
export type Hold = () => boolean | Promise<boolean>;

/** The fence's answer when the hold is known at once (shared: it allocates nothing). */
const HELD: Promise<void> = Promise.resolve();

/** The hold's answer as a promise, for the callers that wait anyway (a plain answer, or a throw, becomes one). */
const asked = (hold: Hold): Promise<boolean> => Promise.resolve().then(hold);

export interface SenderDeps {
  escalations: EscalationStore;
  lookups: LookupStore;
  transcripts: TranscriptStore;
  outboxItems: OutboxStore;
  customers: Registry<CustomerChannel>;
  desks: Registry<AgentDesk>;
  log: Logger;
  retry: RetrySettings;
  leaseMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Signed, expiring links to stored images, made at each send (absent: images are not shown). */
  fileLinks?: (file: FileRef) => FileLink;
  /** Stores a split line's progress in turn with the item's lease renewals (absent: progress is kept in memory only). */
  leases?: ItemLeases;
}

/** Items sent whose delivered state could not be written (with what it was): never sent again by this process. */
const UNRECORDED_MEMORY = 10_000;

export class Sender {
  private readonly unrecorded = new BoundedCache<Delivery>(UNRECORDED_MEMORY);
  private ledger?: Ledger;
  private readonly deskItems: DeskItems;
  private readonly retry: SendRetry;
  /** The renewals of the sends in progress here, run by one interval while there are any (not one timer per send). */
  private readonly renewals = new Set<() => void>();
  private renewTimer?: NodeJS.Timeout;

  constructor(private readonly deps: SenderDeps) {
    this.retry = sendRetry(deps.retry);
    this.deskItems = new DeskItems(deps);
  }

  /** The core's ledger (state changes the delivery causes) and outbox (lines it adds): set by the composition root. */
  attach(ledger: Ledger, outbox: Outbox): void {
    this.ledger = ledger;
    this.deskItems.attach(ledger, outbox);
  }

  /** Lines live in the transcript, card changes in the outbox container: one contract for both. */
  storeOf(item: OutboxItem): DeliveryItemStore<OutboxItem> {
    return (isCard(item) ? this.deps.outboxItems : this.deps.transcripts) as unknown as DeliveryItemStore<OutboxItem>;
  }

  /** `recordDelivered: false`: the caller records it (a lane's give-back); a final failure is written on the item all the same. */
  async deliver(e: Escalation, job: Job, hold: Hold, options: { recordDelivered?: boolean } = {}): Promise<Outcome> {
    const log = this.deps.log;
    const unrecorded = this.unrecorded.get(job.item.id);
    if (unrecorded) {
      // Sent here before, while the store could not take its delivered state: written now (this process's sweep brought
      // it back), so it is not left pending for another process, or this one after a restart, to send again.
      if (options.recordDelivered !== false && (await this.saveState(job, unrecorded))) this.unrecorded.delete(job.item.id);
      return 'done';
    }
    let attempts = job.item.delivery.attempts;
    let lost = false;
    const progress = this.partProgress(job);
    const lose = (): Promise<void> => {
      lost = true;
      return Promise.reject(new LeaseLostError(`outbox item ${job.item.id}`));
    };
    const fence: Fence = () => {
      if (lost) return lose();
      const held = hold();
      if (held === true) return HELD;
      if (held === false) return lose();
      return held.then((ok) => (ok ? undefined : lose()));
    };
    try {
      await this.retry(async () => {
        await fence();
        attempts += 1;
        // A send may wait long in a rate limiter: the lease is renewed meanwhile, and the fence checks it at the end.
        const done = this.renewWhileSending(() => void asked(hold).then((ok) => void (ok || (lost = true)), () => undefined));
        try {
          await this.deliverOnce(e, job.item, fence, progress);
        } finally {
          done();
        }
      }, (ms) => this.waitHolding(ms, hold, () => (lost = true)));
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.info({ escalationId: e.id, itemId: job.item.id }, 'delivery handed over: another process holds it now');
        return 'lost';
      }
      const reason = describe(err);
      log.warn({ escalationId: e.id, itemId: job.item.id, direction: job.item.direction, attempts, err: reason }, 'delivery failed');
      await this.saveState(job, { state: 'failed', attempts, lastError: reason });
      await this.reportFailure(e, job.item, reason, err);
      return 'done';
    }
    // A split line keeps how many calls it took: a peer that skips it counts them all in Teams' windows.
    const parts = progress.partsSent > 1 ? { partsSent: progress.partsSent } : {};
    if (options.recordDelivered !== false) await this.saveState(job, { state: 'delivered', attempts, deliveredAt: new Date(this.deps.now()).toISOString(), ...parts });
    return 'done';
  }

  /**
   * A split line's parts sent so far: from the item (a process that crashed after some parts stored how many), and
   * stored after each part but the last. A failed write only loses that for a crash: this delivery's retries still
   * go on from memory.
   */
  private partProgress(job: Job): PartProgress {
    const progress: PartProgress = {
      partsSent: job.item.delivery.partsSent ?? 0,
      sent: async (count, of) => {
        progress.partsSent = count;
        if (count >= of || !this.deps.leases) return;
        await this.deps.leases.noteParts(job, count).catch((err) => this.deps.log.warn({ escalationId: job.item.escalationId, itemId: job.item.id, err: describe(err) }, 'could not store the parts sent'));
      },
    };
    return progress;
  }

  /** An item that can never be delivered (its escalation expired or was removed): failed, so no sweep returns it. */
  async giveUp(job: Job, reason: string): Promise<void> {
    this.deps.log.warn({ escalationId: job.item.escalationId, itemId: job.item.id, reason }, 'undeliverable item given up');
    await this.saveState(job, { ...job.item.delivery, state: 'failed', lastError: reason });
  }

  private async deliverOnce(e: Escalation, item: OutboxItem, fence: Fence, progress: PartProgress): Promise<void> {
    if (item.direction === 'toCustomer') {
      const message = { text: item.text, from: item.kind === 'agent' ? item.author?.name : undefined, ask: item.ask, files: this.linksOf(item.files), progress };
      await this.customerOf(e).send(e, message, fence);
      return;
    }
    await this.deskItems.deliver(e, item, fence, progress, isCard(item) ? undefined : this.linksOf(item.files));
  }

  private linksOf(files: FileRef[] | undefined): FileLink[] | undefined {
    return files?.length && this.deps.fileLinks ? files.map((f) => this.deps.fileLinks!(f)) : undefined;
  }

  /** Runs `renew` every quarter lease until the returned function is called. */
  private renewWhileSending(renew: () => void): () => void {
    this.renewals.add(renew);
    // Unref'd: the sends themselves keep the process alive while they run.
    this.renewTimer ??= setInterval(() => {
      for (const r of this.renewals) r();
    }, Math.max(50, Math.floor(this.deps.leaseMs / 4))).unref();
    return () => {
      this.renewals.delete(renew);
      if (this.renewals.size === 0 && this.renewTimer) {
        clearInterval(this.renewTimer);
        this.renewTimer = undefined;
      }
    };
  }

  /** Spends a Retry-After in slices that renew the lease, so no other process takes the item meanwhile. */
  private async waitHolding(ms: number, hold: Hold, onLost: () => void): Promise<void> {
    const slice = Math.max(50, Math.floor(this.deps.leaseMs / 4));
    for (let left = ms; left > 0; left -= slice) {
      await this.deps.sleep(Math.min(left, slice));
      // A store error here is no reason to give the item up; the fence decides before the next send.
      if (!(await asked(hold).catch(() => true))) return onLost();
    }
  }

  /** Failures reach the other side as lines of their own (stored, so they are not lost either). */
  private async reportFailure(e: Escalation, item: OutboxItem, reason: string, err: unknown): Promise<void> {
    // A report that failed is not reported back: with both sides unreachable they would bounce without end.
    if (!isCard(item) && item.sourceActivityId?.startsWith('failed|')) return;
    try {
      if (item.direction === 'toCustomer') {
        if (err instanceof DeliveryError && err.unreachable) await this.ledger!.apply(e.id, (x) => customerUnreachable(x, reason, new Date(this.deps.now()).toISOString()));
        await this.deskItems.addLine(e, 'toDesk', notices.customerUndeliverable(reason), `failed|${item.id}`);
      } else if (!isCard(item)) {
        await this.deskItems.addLine(e, 'toCustomer', notices.deskUndeliverable(), `failed|${item.id}`);
      } else if (!item.target && !(await this.deps.escalations.get(e.id))?.value.deskRef) {
        // The desk never took the chat in: the customer must not wait for an agent who will not come.
        await this.deskItems.addLine(e, 'toCustomer', notices.deskUnreachable(), `failed|${item.id}`);
      }
    } catch (failure) {
      this.deps.log.error({ escalationId: e.id, itemId: item.id, err: describe(failure) }, 'could not report a failed delivery');
    }
  }

  /**
   * Records the outcome (on top of the latest copy if the item changed meanwhile), retrying while the store is
   * unavailable. If it still cannot be written, this process remembers the item was sent and never sends it again
   * (it writes the state when a sweep brings the item back). True when written, or settled by another process.
   */
  private async saveState(job: Job, delivery: Delivery): Promise<boolean> {
    const store = this.storeOf(job.item);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const saved = await withStoreRetry(() => store.replace({ ...job.item, delivery } as OutboxItem, job.etag));
          job.item = saved.value;
          job.etag = saved.etag;
          return true;
        } catch (err) {
          if (!(err instanceof ConcurrencyError)) throw err;
          const latest = await withStoreRetry(() => store.get(job.item.escalationId, job.item.id));
          if (!latest || (latest.value.delivery.state !== 'pending' && latest.value.delivery.state !== 'queued')) return true;
          job.item = latest.value;
          job.etag = latest.etag;
        }
      }
      throw new ConcurrencyError(`outbox item ${job.item.id}`);
    } catch (err) {
      if (delivery.state === 'delivered') this.unrecorded.set(job.item.id, delivery);
      this.deps.log.error({ escalationId: job.item.escalationId, itemId: job.item.id, state: delivery.state, err: describe(err) }, 'could not save delivery state');
      return false;
    }
  }

  private customerOf(e: Escalation): CustomerChannel {
    const channel = this.deps.customers.get(e.customer.channel);
    if (!channel) throw new DeliveryError(`no customer channel '${e.customer.channel}' is configured`, { retryable: false });
    return channel;
  }
}
