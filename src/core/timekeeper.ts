/**
 * Fires due timers. One query per sweep finds them (`dueAt` at or before now); for each, the facts its timers need
 * are read (the queue's positions once per queue and sweep, the conversation's line times) and `fireTimers` decides
 * through the ledger, whose ETag condition makes one process the one that fires. Called by the delivery room's
 * sweep loop: the core itself keeps no timers.
 */
import type { Escalation } from './escalation';
import { queueOf } from './escalation';
import type { Ledger } from './ledger';
import type { Logger } from './logger';
import type { Clock, EscalationStore, TranscriptStore, Versioned } from './ports';
import type { QueueWatch } from './queueWatch';
import { fireTimers, type TimerFacts, type TimerPolicy } from './timers';

/** Due escalations handled per sweep; the rest wait for the next one (soonest first). */
const SWEEP_BATCH = 200;

export interface TimekeeperDeps {
  escalations: EscalationStore;
  transcripts: Pick<TranscriptStore, 'lineFacts'>;
  ledger: Ledger;
  queues: QueueWatch;
  policy: TimerPolicy;
  clock: Clock;
  log: Logger;
}

export class Timekeeper {
  constructor(private readonly deps: TimekeeperDeps) {}

  /** Fires what is due now; resolves with how many escalations had due timers. */
  async sweep(): Promise<number> {
    const now = this.deps.clock().toISOString();
    const due = await this.deps.escalations.due(now, SWEEP_BATCH);
    const positions = new Map<string, Promise<Map<string, number>>>();
    const positionsOf = (queue: string) => {
      if (!positions.has(queue)) positions.set(queue, this.deps.queues.positions(queue));
      return positions.get(queue)!;
    };
    for (const v of due) {
      try {
        await this.fire(v, now, positionsOf);
      } catch (err) {
        this.deps.log.warn({ escalationId: v.value.id, err: (err as Error).message }, 'could not fire timers; the next sweep tries again');
      }
    }
    return due.length;
  }

  private async fire(v: Versioned<Escalation>, now: string, positionsOf: (queue: string) => Promise<Map<string, number>>): Promise<void> {
    const e = v.value;
    const facts: TimerFacts = {};
    const t = e.timers ?? {};
    if (e.status === 'queued' && t.queueUpdate && t.queueUpdate <= now) facts.position = (await positionsOf(queueOf(e))).get(e.id);
    if (e.status === 'claimed' && t.activity && t.activity <= now) facts.lines = await this.deps.transcripts.lineFacts(e.id);
    const { escalation, changed } = await this.deps.ledger.apply(e.id, (x) => fireTimers(x, now, facts, this.deps.policy), v);
    if (changed && escalation.status === 'closed') this.deps.log.info({ escalationId: e.id }, 'closed for inactivity');
  }
}
