/**
 * Applies the escalation rules under the store's ETag condition (the transactional outbox): the new state is written
 * together with the events it caused, then the events' outbox items are stored, then the events are cleared. A request
 * that fails in between leaves the events on the escalation: its retry, any later change, or the sweep stores the
 * missing items (their ids derive from the events, so nothing is stored twice) and clears them.
 */
import { TransitionError, type Decision, type Escalation, type EventRecord } from './escalation';
import { DEFAULT_EFFECTS, effectsOf, type EffectPolicy } from './effects';
import { ConcurrencyError, NotFoundError } from './errors';
import { eventId } from './events';
import type { Clock, EscalationStore, Outbox, Versioned } from './ports';

const MAX_CONFLICT_RETRIES = 25;

export interface Applied {
  escalation: Escalation;
  changed: boolean;
}

export class Ledger {
  constructor(
    private readonly escalations: EscalationStore,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly policy: EffectPolicy = DEFAULT_EFFECTS,
  ) {}

  /** Creates an escalation from a start decision; ConflictError when its id exists. */
  async create(decision: Decision): Promise<Escalation> {
    const first = withUnsettled(decision.escalation, this.records(decision));
    const saved = await this.escalations.create(first);
    await this.settle(saved);
    return saved.value;
  }

  /**
   * Decides on the current state and writes the result; re-reads and re-decides after a lost race. A rule that no
   * longer applies throws its TransitionError, after the events a failed earlier request left behind are settled.
   * `known`: the version the caller just read, decided on first instead of reading it again.
   */
  async apply(id: string, decide: (e: Escalation) => Decision, known?: Versioned<Escalation>): Promise<Applied> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = attempt === 0 && known ? known : await this.escalations.get(id);
      if (!current) throw new NotFoundError(`escalation ${id}`);
      let decision: Decision;
      try {
        decision = decide(current.value);
      } catch (err) {
        if (err instanceof TransitionError) await this.settle(current);
        throw err;
      }
      if (decision.events.length === 0) {
        const settled = await this.settle(current);
        return { escalation: settled.value, changed: false };
      }
      const next = withUnsettled(decision.escalation, [...(current.value.unsettled ?? []), ...this.records(decision)]);
      let saved: Versioned<Escalation>;
      try {
        saved = await this.escalations.replace(next, current.etag);
      } catch (err) {
        if (err instanceof ConcurrencyError) continue;
        throw err;
      }
      const settled = await this.settle(saved);
      return { escalation: settled.value, changed: true };
    }
    throw new ConcurrencyError(`escalation ${id}`);
  }

  /**
   * Stores the outbox items of the events on the escalation, dispatches the new ones, and clears the events with a
   * conditional write (lost to a newer change, they stay for whoever made it). Store failures propagate: the
   * request fails (503) and its retry settles again.
   */
  async settle(v: Versioned<Escalation>): Promise<Versioned<Escalation>> {
    const events = v.value.unsettled ?? [];
    if (events.length === 0) return v;
    for (const event of events) {
      // Stamped with the event's time: settled late (by the sweep, after a failed request), a notice still says when
      // it happened.
      for (const item of effectsOf(event, v.value, new Date(event.at), this.policy)) {
        void this.outbox.dispatch(v.value, await this.outbox.record(item, v.value));
      }
    }
    try {
      return await this.escalations.replace(withUnsettled(v.value, []), v.etag);
    } catch (err) {
      if (err instanceof ConcurrencyError) return v;
      throw err;
    }
  }

  /** The decision's events that cause outbox items: only those need settling (a timer moved costs one write). */
  private records(decision: Decision): EventRecord[] {
    const { escalation: e } = decision;
    const now = this.clock();
    const at = now.toISOString();
    return decision.events.map((ev) => ({ ...ev, id: eventId(e.id, e.rev, ev.type), rev: e.rev, at })).filter((r) => effectsOf(r, e, now, this.policy).length > 0);
  }
}

/**
 * The escalation with these events waiting; with none, without the field at all, so a settled escalation (nearly every
 * one kept) carries nothing that the sweep's query must look at.
 */
function withUnsettled(e: Escalation, events: EventRecord[]): Escalation {
  const { unsettled, ...rest } = e;
  void unsettled;
  return events.length > 0 ? { ...rest, unsettled: events } : rest;
}
