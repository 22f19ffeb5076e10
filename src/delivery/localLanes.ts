/** In-process order: one promise chain per escalation and direction, and the items being delivered here now. */
import type { Logger } from '../core/logger';
import type { Outbound } from '../core/transcript';
import { describe } from './deliveryError';

/** The start of a lane with nothing before it (shared: it allocates nothing). */
const IDLE: Promise<void> = Promise.resolve();

export class LocalLanes {
  private readonly chains = new Map<string, Promise<void>>();
  /** Items queued or in delivery in this process, so the sweep never queues one twice. */
  readonly inFlight = new Set<string>();

  constructor(private readonly log: Logger) {}

  busy(escalationId: string, direction: Outbound): boolean {
    return this.chains.has(`${escalationId}|${direction}`);
  }

  /** Runs `job` after everything queued before it in the same lane; the chain is dropped once it is empty. */
  enqueue(escalationId: string, direction: Outbound, job: () => Promise<void>): Promise<void> {
    const key = `${escalationId}|${direction}`;
    const previous = this.chains.get(key) ?? IDLE;
    // One chain of three promises per job (each link, its failure logged, the lane dropped when this job was its last).
    const next: Promise<void> = previous
      .then(job)
      .catch((err) => {
        this.log.error({ escalationId, direction, err: describe(err), stack: (err as Error)?.stack }, 'delivery job failed');
      })
      .then(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
    return next;
  }

  /** Resolves when every queued delivery has settled (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }
}
