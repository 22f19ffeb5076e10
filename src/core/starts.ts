/**
 * A customer asks for a person: one live escalation per chat, however many starts arrive at once or are retried. The
 * chat's look-up decides which escalation that is; a retried start stores what a failed one left out (its card).
 */
import * as rules from './escalation';
import type { Escalation } from './escalation';
import { ConcurrencyError, ConflictError } from './errors';
import type { Ledger } from './ledger';
import type { Logger } from './logger';
import { lookupKey, type Clock, type EscalationStore, type Lookup, type LookupStore } from './ports';
import type { QueueWatch } from './queueWatch';
import { routeQueue, type QueueRule } from './routing';
import { retime, type TimerPolicy } from './timers';
import type { StartInput } from './handoverInputs';

const MAX_CONFLICT_RETRIES = 25;

export interface StartsDeps {
  store: { escalations: EscalationStore; lookups: LookupStore };
  ledger: Ledger;
  log: Logger;
  clock: Clock;
  newId: () => string;
  deskFor: (queue: string) => string;
  timers: TimerPolicy;
  queues?: QueueWatch;
  queueRules: QueueRule[];
  /** How long the store keeps a closed escalation; Infinity: for ever. */
  retentionMs: number;
}

export class Starts {
  constructor(private readonly deps: StartsDeps) {}

  /**
   * Opens an escalation for this customer chat, or returns the open one (one live escalation per chat). The chat's
   * look-up decides: whoever creates (or re-points) it names the escalation, and every concurrent or retried start
   * for the chat then creates or finds that one escalation, and stores its missing effects (its card).
   */
  async start(input: StartInput): Promise<{ escalation: Escalation; created: boolean }> {
    const key = lookupKey.customer(input.customer.conversationId);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const existing = await this.deps.store.lookups.get(key);
      const now = this.deps.clock();
      if (existing) {
        const current = await this.deps.store.escalations.get(existing.value);
        if (!current && this.namedRecently(existing, now)) return this.createNamed(existing.value, input); // named by a start that has not created it yet
        if (current && rules.isOpen(current.value)) {
          const settled = await this.deps.ledger.settle(current); // a retried start brings what a failed one left out
          return { escalation: settled.value, created: false };
        }
        // Closed, or forgotten by the store: a new escalation, never the old id again (its lines and cards are kept
        // longer than its record, and would count as this one's).
        if (!current) this.deps.log.info({ escalationId: existing.value }, 'the chat\'s last escalation is no longer stored: a new one');
      }
      const id = this.deps.newId();
      try {
        if (existing) await this.deps.store.lookups.replace(key, id, existing.etag, now.toISOString());
        else await this.deps.store.lookups.create(key, id, now.toISOString());
      } catch (err) {
        if (err instanceof ConflictError || err instanceof ConcurrencyError) continue; // another start named it
        throw err;
      }
      return this.createNamed(id, input);
    }
    throw new ConcurrencyError(`customer conversation ${input.customer.conversationId}`);
  }

  /**
   * Whether a look-up that names a missing escalation was pointed too recently for the store to have forgotten that
   * escalation: a closed one is kept for the retention, and it closed after its look-up was pointed. So it is a start
   * that named it and has not created it yet (or failed to), and this start creates that one. A look-up without a
   * time predates the times.
   */
  private namedRecently(lookup: Lookup, now: Date): boolean {
    if (this.deps.retentionMs === Infinity) return true;
    return lookup.at !== undefined && now.getTime() - Date.parse(lookup.at) < this.deps.retentionMs;
  }

  private async createNamed(id: string, input: StartInput): Promise<{ escalation: Escalation; created: boolean }> {
    const now = this.deps.clock().toISOString();
    const { queue: asked, ...fields } = input;
    const routed = routeQueue(asked, input.context, this.deps.queueRules);
    const standing = this.deps.queues ? await this.deps.queues.standing(routed.queue, { id, createdAt: now }) : {};
    const start = { id, ...fields, desk: this.deps.deskFor(routed.queue), queue: routed.queue, ...(routed.note ? { routingNote: routed.note } : {}) };
    const decision = retime(undefined, rules.start(start, now, standing), this.deps.timers, now);
    try {
      const escalation = await this.deps.ledger.create(decision);
      this.deps.log.info({ escalationId: id, desk: escalation.desk }, 'escalation created');
      return { escalation, created: true };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const current = await this.deps.store.escalations.get(id);
      if (!current) throw err;
      return { escalation: (await this.deps.ledger.settle(current)).value, created: false };
    }
  }
}
