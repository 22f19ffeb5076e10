/**
 * An outbox item's own lease (items accepted while a process was alone, orphans a sweep recovers): taken, renewed
 * and given up with writes conditional on the item's version, so at most one process holds it at a time.
 */
import { ConcurrencyError } from '../core/errors';
import type { DeliveryItemStore } from '../core/ports';
import type { Delivery, OutboxItem } from '../core/transcript';
import type { Job } from './sender';

export class ItemLeases {
  /** Renewals under way, by the hold they renew: the fence and the renewal timer may both ask while the lease runs low. */
  private readonly renewing = new WeakMap<Job, Promise<boolean>>();

  constructor(
    private readonly storeOf: (item: OutboxItem) => DeliveryItemStore<OutboxItem>,
    private readonly me: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
  ) {}

  /** `delivery` leased to this process from now. */
  leased(delivery: Delivery): Delivery {
    // Object.assign, not a literal that starts with a spread and adds keys: Node 20's V8 takes a slow path there
    // (3.7 µs against 0.2 µs a call; node dist/bench/lineCosts.js), and every accepted line passes here.
    return Object.assign({}, delivery, { leaseOwner: this.me, leaseUntil: this.now() + this.leaseMs });
  }

  /** True while `delivery` is leased to this process and the lease has not run out. */
  heldHere(delivery: Delivery): boolean {
    return delivery.leaseOwner === this.me && (delivery.leaseUntil ?? 0) > this.now();
  }

  /** Leases an item to this process: undefined when another process changed it first. */
  async take(job: Job): Promise<Job | undefined> {
    const taken = { ...job };
    return (await this.replaceIfCurrent(taken, this.leased(job.item.delivery))) ? taken : undefined;
  }

  /** Ends this process's lease now, so a lane's holder takes the item over without waiting for it to run out. */
  async release(job: Job): Promise<void> {
    await this.replaceIfCurrent(job, { ...job.item.delivery, leaseUntil: 0 });
  }

  /**
   * A hold on an item under its own lease: renewed when it runs low; false when another process has taken it over.
   * Answered at once (no promise) while the lease is far from running out, as it is before nearly every send. A
   * second ask while a renewal is under way shares it: two writes on one version would make the later one fail, and
   * this process would give up an item it had just renewed.
   */
  keep(job: Job): boolean | Promise<boolean> {
    if ((job.item.delivery.leaseUntil ?? 0) - this.now() > this.leaseMs / 2) return true;
    const pending = this.renewing.get(job);
    if (pending) return pending;
    const renewal = this.replaceIfCurrent(job, this.leased(job.item.delivery)).finally(() => this.renewing.delete(job));
    this.renewing.set(job, renewal);
    return renewal;
  }

  /**
   * Stores how many parts of a split line are sent. Taken in turn with the renewals (it renews too, when the lease is
   * this process's): two writes on one version would make the later fail, and a renewal that failed so would give
   * up the item. A lost race stores nothing: whoever changed the item holds it now, and the fence will say so.
   */
  async noteParts(job: Job, partsSent: number): Promise<void> {
    for (let before = this.renewing.get(job); before; before = this.renewing.get(job)) await before.catch(() => false);
    const d = Object.assign({}, job.item.delivery, { partsSent });
    const write = this.replaceIfCurrent(job, d.leaseOwner === this.me ? this.leased(d) : d).finally(() => this.renewing.delete(job));
    this.renewing.set(job, write);
    await write;
  }

  /** Writes `delivery` on the version `job` holds, updating `job`; false when the item changed meanwhile. */
  private async replaceIfCurrent(job: Job, delivery: Delivery): Promise<boolean> {
    const next = { ...job.item, delivery } as OutboxItem;
    try {
      const saved = await this.storeOf(next).replace(next, job.etag);
      job.item = saved.value;
      job.etag = saved.etag;
      return true;
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      // A write that landed but whose answer was lost (Cosmos: a reset connection, and the SDK's repeat then finds the
      // version changed) is this process's own: the item as stored says so, and the lease is not given up for it.
      const stored = await this.storeOf(next).get(next.escalationId, next.id);
      if (!stored || !sameDelivery(stored.value.delivery, delivery)) return false;
      job.item = stored.value;
      job.etag = stored.etag;
      return true;
    }
  }
}

function sameDelivery(a: Delivery, b: Delivery): boolean {
  return a.state === b.state && a.leaseOwner === b.leaseOwner && a.leaseUntil === b.leaseUntil && a.partsSent === b.partsSent && a.attempts === b.attempts;
}
