/**
 * Keeps outbound Bot Connector calls within Teams' limits: per conversation 7 / 1 s, 8 / 2 s, 60 / 30 s and
 * 1800 / hour, and per tenant about 50 / s (TEAMS_TENANT_RPS). The windows are exact sliding windows set one call
 * (or ~8 %) under Teams' figures: Teams counts calls when they arrive, and network jitter can bring two calls that
 * left a window apart into one. A call's two slots are taken together, right before it goes out: waiting for the
 * tenant never bunches a conversation's calls, and waiting for the conversation never lets the tenant's slot age.
 * Several instances: a conversation's recent calls travel with its lane (see LaneMemory), and the tenant's budget is
 * shared out by the number of live instances.
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

/** How far back a conversation's calls are handed to the next instance: the windows a burst can hit. */
export const HANDOVER_WINDOW_MS = 30_000;

export class TeamsRateLimiter {
  private readonly tenant: SlidingWindowLimiter;
  private readonly conversation = new SlidingWindowLimiter(TEAMS_CONVERSATION_WINDOWS);

  constructor(private readonly limits: RateLimits) {
    this.tenant = new SlidingWindowLimiter([{ limit: limits.tenantRps, ms: 1_000 }]);
  }

  /** With `instances` live instances, each keeps to its share of the tenant's budget. */
  shareTenantWith(instances: number): void {
    this.tenant.setLimits([Math.max(1, Math.floor(this.limits.tenantRps / Math.max(1, instances)))]);
  }

  /** This instance's recent calls in a conversation (for the instance that delivers there next). */
  history(conversationKey: string): number[] {
    return this.conversation.recent(conversationKey, HANDOVER_WINDOW_MS);
  }

  /** Counts another instance's recent calls in a conversation before calling there. */
  adopt(conversationKey: string, times: number[]): void {
    this.conversation.adopt(conversationKey, times);
  }

  /**
   * Runs `call` when the tenant's and the conversation's budgets allow: first come first served for the tenant; a call
   * that waits for its conversation goes when the conversation has room (a lane sends one call at a time, so there is
   * seldom more than one such call per conversation, and none keeps a place in line).
   * Without a conversation (creating a new thread) only the tenant's budget applies.
   */
  async schedule<T>(conversationKey: string | undefined, tenantKey: string, call: () => Promise<T>): Promise<T> {
    for (;;) {
      const tenantAt = this.tenant.tryTake(tenantKey) ?? (await this.tenant.acquire(tenantKey));
      if (!conversationKey || this.conversation.tryAcquire(conversationKey)) return call();
      // The conversation is full: the tenant's slot goes back unused (kept through the wait, it would age out of the
      // tenant's window before the call went out), and both are taken again once the conversation has room, so each
      // window counts the call when it goes out.
      this.tenant.giveBack(tenantKey, tenantAt);
      await this.conversation.whenRoom(conversationKey);
    }
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
