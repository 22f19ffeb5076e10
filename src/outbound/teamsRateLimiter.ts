/**
 * Keeps outbound Bot Connector calls within Teams' limits: per conversation 7 / 1 s, 8 / 2 s, 60 / 30 s and
 * 1800 / hour, and per tenant about 50 / s (TEAMS_TENANT_RPS). The windows are exact sliding windows set one call
 * (or ~8 %) under Teams' figures: Teams counts calls when they arrive, and network jitter can bring two calls that
 * left a window apart into one. The conversation's slot is taken last, right before the call, so waiting for the
 * tenant can never bunch a conversation's calls together. Limits hold per instance; see docs/BENCHMARKS.md.
 */
import { SlidingWindowLimiter } from './slidingWindowLimiter';

/** Teams: 7 / 1 s, 8 / 2 s, 60 / 30 s, 1800 / hour per bot per conversation. */
export const TEAMS_CONVERSATION_WINDOWS = [
  { limit: 6, ms: 1_000 },
  { limit: 7, ms: 2_000 },
  { limit: 55, ms: 30_000 },
  { limit: 1650, ms: 3_600_000 },
];

export interface RateLimits {
  tenantRps: number;
}

export class TeamsRateLimiter {
  private readonly tenant: SlidingWindowLimiter;
  private readonly conversation = new SlidingWindowLimiter(TEAMS_CONVERSATION_WINDOWS);

  constructor(limits: RateLimits) {
    this.tenant = new SlidingWindowLimiter([{ limit: limits.tenantRps, ms: 1_000 }]);
  }

  /**
   * Runs `call` when the tenant's and the conversation's budgets allow, first come first served.
   * Without a conversation (creating a new thread) only the tenant's budget applies.
   */
  async schedule<T>(conversationKey: string | undefined, tenantKey: string, call: () => Promise<T>): Promise<T> {
    await this.tenant.acquire(tenantKey);
    if (conversationKey) await this.conversation.acquire(conversationKey);
    return call();
  }

  /** Counts a call that was made without a slot (a new thread's first post) against its conversation. */
  record(conversationKey: string): void {
    this.conversation.record(conversationKey);
  }

  async stop(): Promise<void> {
    this.tenant.stop();
    this.conversation.stop();
  }
}
