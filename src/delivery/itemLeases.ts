/**
 * An outbox item's own lease (items accepted while a process was alone, orphans a sweep recovers): taken, renewed
 * and given up with writes conditional on the item's version, so at most one process holds it at a time.
 */
import { ConcurrencyError } from '../core/errors';
import type { DeliveryItemStore } from '../core/ports';
import type { OutboxItem } from '../core/transcript';
import type { Job } from './sender';

export class ItemLeases {
  constructor(
    private readonly storeOf: (item: OutboxItem) => DeliveryItemStore<OutboxItem>,
    private readonly me: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
  ) {}

  /** Leases an item to this process: undefined when another process changed it first. */
  async take(job: Job): Promise<Job | undefined> {
    const leased = this.leasedHere(job.item);
    try {
      const saved = await this.storeOf(leased).replace(leased, job.etag);
      return { item: saved.value, etag: saved.etag };
    } catch (err) {
      if (err instanceof ConcurrencyError) return undefined;
      throw err;
    }
  }

  /** Ends this process's lease now, so a lane's holder takes the item over without waiting for it to run out. */
  async release(job: Job): Promise<void> {
    const released = { ...job.item, delivery: { ...job.item.delivery, leaseUntil: 0 } } as OutboxItem;
    try {
      const saved = await this.storeOf(released).replace(released, job.etag);
      job.item = saved.value;
      job.etag = saved.etag;
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
    }
  }

  /** A hold on an item under its own lease: renewed when it runs low; false when another process has taken it over. */
  async keep(job: Job): Promise<boolean> {
    if ((job.item.delivery.leaseUntil ?? 0) - this.now() > this.leaseMs / 2) return true;
    try {
      const saved = await this.storeOf(job.item).replace(this.leasedHere(job.item), job.etag);
      job.item = saved.value;
      job.etag = saved.etag;
      return true;
    } catch (err) {
      if (err instanceof ConcurrencyError) return false;
      throw err;
    }
  }

  private leasedHere(item: OutboxItem): OutboxItem {
    return { ...item, delivery: { ...item.delivery, leaseOwner: this.me, leaseUntil: this.now() + this.leaseMs } } as OutboxItem;
  }
}
