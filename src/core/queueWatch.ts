/**
 * Where a customer stands in their queue: their position, and the wait to expect when there is enough history (the
 * median time-to-claim of the queue over the last 48 hours, from at least `minSamples` claims, only when it is a
 * minute or more: a promise of "about 0 minutes" helps nobody). Outside office hours: when agents are back.
 */
import type { QueueStanding } from './events';
import { nextOpening, type OfficeHours } from './officeHours';
import type { Clock, EscalationStore } from './ports';

const HISTORY_MS = 48 * 3600_000;
/** The estimate changes slowly: each process asks the store for it at most this often per queue. */
const ESTIMATE_TTL_MS = 60_000;

export interface QueueWatchOptions {
  minSamples: number;
  hours?: OfficeHours;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export class QueueWatch {
  private readonly estimates = new Map<string, { seconds: number | undefined; until: number }>();

  constructor(
    private readonly store: Pick<EscalationStore, 'waiting' | 'countWaiting' | 'claimWaits'>,
    private readonly clock: Clock,
    private readonly options: QueueWatchOptions,
  ) {}

  /** Positions of every escalation waiting in the queue, oldest first, same-millisecond ones by id (one query). */
  async positions(queue: string): Promise<Map<string, number>> {
    const waiting = await this.store.waiting(queue);
    waiting.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
    return new Map(waiting.map((w, i) => [w.id, i + 1]));
  }

  /**
   * The standing of an escalation that is (about to be) queued: those ahead of it, plus one, in the order `positions`
   * ranks (so the number a customer hears first is the one later updates start from). A new one (not stored yet)
   * comes after everyone there (one queued in the same millisecond, by id); a released one keeps its place by
   * creation time.
   */
  async standing(queue: string, escalation: { id: string; createdAt: string }): Promise<QueueStanding> {
    // A count, not the list: a long queue costs one aggregate query, not a row per waiting customer.
    const ahead = await this.store.countWaiting(queue, escalation);
    const now = this.clock();
    const opens = nextOpening(this.options.hours, now);
    const closed = this.options.hours && opens && opens.getTime() > now.getTime();
    const standing: QueueStanding = { position: ahead + 1 };
    if (closed) return { ...standing, opensAt: opens.toISOString(), timeZone: this.options.hours!.timeZone };
    const waitSeconds = await this.estimate(queue);
    return waitSeconds ? { ...standing, waitSeconds } : standing;
  }

  /** The queue's median time-to-claim in whole seconds, or undefined without enough history or under a minute. */
  async estimate(queue: string): Promise<number | undefined> {
    const nowMs = this.clock().getTime();
    const cached = this.estimates.get(queue);
    if (cached && cached.until > nowMs) return cached.seconds;
    const samples = await this.store.claimWaits(queue, new Date(nowMs - HISTORY_MS).toISOString());
    const m = samples.length >= this.options.minSamples ? median(samples) : undefined;
    const seconds = m !== undefined && m >= 60 ? Math.round(m) : undefined;
    this.estimates.set(queue, { seconds, until: nowMs + ESTIMATE_TTL_MS });
    return seconds;
  }
}
