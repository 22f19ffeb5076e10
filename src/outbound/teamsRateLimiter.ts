/**
 * Keeps outbound Bot Connector calls within Teams' limits, with Bottleneck token buckets sized so that no
 * sliding window is exceeded:
 * - per conversation: 7 / 1 s, 8 / 2 s, 60 / 30 s → a bucket of 4, +1 every 556 ms (≤ 5.8 / 1 s, 7.6 / 2 s, 58 / 30 s);
 *   1800 / hour → a bucket of 900, +1 every 4 s (≤ 1800 in any hour);
 * - per tenant (about 50 requests / s per app): a bucket of rps/2 refilled at rps/2 per second (≤ rps in any second).
 * The conversation buckets are innermost, nearest the send, so a queue at the tenant level cannot release a
 * conversation's calls in a burst. Limits hold per instance; see docs/BENCHMARKS.md for several instances.
 */
import Bottleneck from 'bottleneck';

export interface RateLimits {
  tenantRps: number;
}

export class TeamsRateLimiter {
  private readonly tenant: Bottleneck.Group;
  private readonly hour: Bottleneck.Group;
  private readonly conversation: Bottleneck.Group;

  constructor(limits: RateLimits) {
    const half = Math.max(1, Math.floor(limits.tenantRps / 2));
    this.tenant = new Bottleneck.Group({
      reservoir: half,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: Math.ceil(1000 / half),
      reservoirIncreaseMaximum: half,
      timeout: 60_000,
    });
    this.hour = new Bottleneck.Group({
      reservoir: 900,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: 4000,
      reservoirIncreaseMaximum: 900,
      timeout: 3_600_000,
    });
    this.conversation = new Bottleneck.Group({
      reservoir: 4,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: 556,
      reservoirIncreaseMaximum: 4,
      maxConcurrent: 1,
      timeout: 60_000,
    });
  }

  /**
   * Runs `call` when the tenant's and the conversation's budgets allow, in the order calls were scheduled.
   * Without a conversation (creating a new thread) only the tenant's budget applies.
   */
  schedule<T>(conversationKey: string | undefined, tenantKey: string, call: () => Promise<T>): Promise<T> {
    const tenant = this.tenant.key(tenantKey);
    if (!conversationKey) return tenant.schedule(call);
    return tenant.schedule(() => this.hour.key(conversationKey).schedule(() => this.conversation.key(conversationKey).schedule(call)));
  }

  async stop(): Promise<void> {
    for (const group of [this.tenant, this.hour, this.conversation]) {
      await Promise.all(group.limiters().map(({ limiter }) => limiter.stop({ dropWaitingJobs: true }).catch(() => undefined)));
      group.deleteKey && group.keys().forEach((k) => void group.deleteKey(k));
    }
  }
}
