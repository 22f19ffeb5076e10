/**
 * The recent sends of a process that was alone, handed to the lanes when it meets a peer. Alone, a process keeps no
 * lane documents, so the edge's history of a chat (the calls Teams' windows count) would not reach a peer that takes
 * the chat's lane first. It learns of the peer during the peer's joining grace (the peer sends nothing shared before
 * the grace ends, and then reads the lane afresh), so each lane it sent in lately gets its memo written in time, as a
 * rule: docs/DELIVERY.md says when not.
 */
import type { Escalation } from '../core/escalation';
import type { EscalationStore } from '../core/ports';
import { ConcurrencyError, ConflictError } from '../core/errors';
import type { Outbound } from '../core/transcript';
import { describe } from './deliveryError';
import { emptyLane, laneKey } from './laneDocs';
import { LANE_WRITE_ATTEMPTS } from './laneHold';
import type { LaneMemory, LaneStore } from './ports';

/** Lanes written at once when sharing starts: a few, so a thousand recent chats do not flood the store. */
const HANDOVER_CONCURRENCY = 8;

export interface AloneSendsDeps {
  lanes: LaneStore;
  /** The desk's conversation is read again: the copy a send had may predate its thread (a card announcing it). */
  escalations: Pick<EscalationStore, 'get'>;
  memory: LaneMemory;
  now: () => number;
  warn: (obj: object, msg: string) => void;
  /** False when this process never meets peers (no heartbeats): then nothing is noted. */
  heartbeats: boolean;
}

export class AloneSends {
  /** Per lane, the escalation and when this process last sent there alone; oldest first (re-noted lanes move last). */
  private readonly recent = new Map<string, { e: Escalation; direction: Outbound; at: number }>();
  private readonly horizonMs: number;

  constructor(private readonly deps: AloneSendsDeps) {
    this.horizonMs = deps.heartbeats ? (deps.memory.horizonMs ?? 0) : 0;
  }

  /**
   * A send this process made alone in the lane (called once the send settled, whatever its outcome). Lanes past the
   * horizon are forgotten as it goes (a few at the front each time), so the record holds only the last horizon's.
   */
  noted(e: Escalation, direction: Outbound): void {
    if (this.horizonMs <= 0) return; // nothing to hand on, or nobody to hand it to
    const key = laneKey(e.id, direction);
    this.recent.delete(key);
    this.recent.set(key, { e, direction, at: this.deps.now() });
    this.prune();
  }

  /**
   * Forgets lanes whose last send here is past the horizon (oldest first, so this stops at the first recent one);
   * also at every sweep, so a quiet process does not keep the escalations of its last busy half-minute.
   */
  prune(): void {
    const oldest = this.deps.now() - this.horizonMs;
    for (const [key, { at }] of this.recent) {
      if (at > oldest) return;
      this.recent.delete(key);
    }
  }

  /**
   * Sharing starts: each lane sent in within the horizon gets this process's recent sends there in its memo, the
   * most recent first (the second-scale windows matter most). Never rejects: a lane it cannot write is logged.
   */
  async handOver(): Promise<void> {
    this.prune();
    const lanes = [...this.recent.values()].reverse();
    this.recent.clear();
    let next = 0;
    const worker = async () => {
      while (next < lanes.length) {
        const { e, direction } = lanes[next++];
        await this.writeMemo(e, direction).catch((err) => this.deps.warn({ escalationId: e.id, direction, err: describe(err) }, 'could not hand recent sends to a lane'));
      }
    };
    await Promise.all(Array.from({ length: Math.min(HANDOVER_CONCURRENCY, lanes.length) }, worker));
  }

  /** The lane's memo, merged with what an earlier holder left there; nothing else of the lane changes. */
  private async writeMemo(noted: Escalation, direction: Outbound): Promise<void> {
    const key = laneKey(noted.id, direction);
    // The thread as it is now (a transfer moves it): the one whose calls a peer's sends there will count with.
    const e = direction === 'toDesk' ? ((await this.deps.escalations.get(noted.id))?.value ?? noted) : noted;
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const current = await this.deps.lanes.get(key);
      const doc = current?.value ?? emptyLane();
      if (doc.memo !== undefined) this.deps.memory.import(e, direction, doc.memo);
      const memo = this.deps.memory.export(e, direction);
      if (memo === undefined) return; // nothing recent after all
      try {
        await this.deps.lanes.put(key, { ...doc, memo }, current?.etag);
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) && !(err instanceof ConcurrencyError)) throw err;
      }
    }
    throw new ConcurrencyError(`lane ${key}`);
  }
}
