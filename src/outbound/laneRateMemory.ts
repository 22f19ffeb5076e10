/**
 * Hands a lane's rate-limit history to the next instance that delivers it: the times of recent calls in the lane's
 * Teams conversation (the customer's chat, or the escalation's thread), so a conversation's windows hold across
 * instances. Also shares the tenant's budget out by the number of live instances.
 */
import type { Escalation } from '../core/escalation';
import type { LaneMemory } from '../delivery/ports';
import { HANDOVER_WINDOW_MS, type TeamsRateLimiter } from './teamsRateLimiter';

interface LaneMemo {
  sent: number[];
}

export class LaneRateMemory implements LaneMemory {
  readonly horizonMs = HANDOVER_WINDOW_MS;

  constructor(private readonly limiter: TeamsRateLimiter) {}

  export(e: Escalation, direction: 'toDesk' | 'toCustomer'): LaneMemo | undefined {
    const conversation = conversationOf(e, direction);
    const sent = conversation ? this.limiter.history(conversation) : [];
    return sent.length > 0 ? { sent } : undefined;
  }

  import(e: Escalation, direction: 'toDesk' | 'toCustomer', memo: unknown): void {
    const conversation = conversationOf(e, direction);
    const sent = (memo as Partial<LaneMemo> | undefined)?.sent;
    if (conversation && Array.isArray(sent)) this.limiter.adopt(conversation, sent.filter((t): t is number => typeof t === 'number'));
  }

  sentElsewhere(e: Escalation, direction: 'toDesk' | 'toCustomer', atMs: number, calls = 1): void {
    const conversation = conversationOf(e, direction);
    // A split line was several calls, all by about its delivered time (the last one's).
    if (conversation && Number.isFinite(atMs)) this.limiter.adopt(conversation, new Array<number>(Math.max(1, calls)).fill(atMs));
  }

  instances(count: number): void {
    this.limiter.shareTenantWith(count);
  }
}

function conversationOf(e: Escalation, direction: 'toDesk' | 'toCustomer'): string | undefined {
  return direction === 'toCustomer' ? e.customer.conversationId : e.deskRef?.threadId;
}
