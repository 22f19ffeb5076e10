/**
 * The handover core: what happens when a customer asks for a person, speaks, leaves, and when agents claim,
 * answer, release and resolve. Channel-agnostic: it speaks to the customer and the desk only through ports.
 */
import { randomUUID } from 'node:crypto';
import * as rules from './escalation';
import type { AgentRef, CustomerRef, Escalation } from './escalation';
import { ConcurrencyError, ConflictError, NotFoundError } from './errors';
import type { Logger } from './logger';
import { notices } from './notices';
import { lookupKey, type HandoverStore, type Versioned } from './ports';
import type { Relay } from './relay';
import { newEntry, type TranscriptEntry } from './transcript';

export interface HandoverDeps {
  store: HandoverStore;
  relay: Relay;
  log: Logger;
  now?: () => Date;
  newId?: () => string;
}

export type CustomerMessageResult =
  | { kind: 'relayed'; escalation: Escalation }
  | { kind: 'duplicate'; escalation: Escalation }
  | { kind: 'closed'; escalation: Escalation }
  | { kind: 'unknown' };

export type AgentMessageResult =
  | { kind: 'relayed'; escalation: Escalation; claimed: boolean }
  | { kind: 'note'; escalation: Escalation }
  | { kind: 'duplicate'; escalation: Escalation }
  | { kind: 'notOwner'; escalation: Escalation }
  | { kind: 'closed'; escalation: Escalation };

export interface StartInput {
  customer: CustomerRef;
  problem: string;
  context: Record<string, string>;
}

const MAX_CONFLICT_RETRIES = 25;

export class Handover {
  private readonly store: HandoverStore;
  private readonly relay: Relay;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly newId: () => string;
  /** Escalation id → when its last line went through this instance (see withLastMessage). */
  private readonly lastMessages = new Map<string, string>();

  constructor(deps: HandoverDeps) {
    this.store = deps.store;
    this.relay = deps.relay;
    this.log = deps.log;
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? randomUUID;
  }

  /** Opens an escalation for this customer chat, or returns the open one (one live escalation per chat). */
  async start(input: StartInput): Promise<{ escalation: Escalation; created: boolean }> {
    const key = lookupKey.customer(input.customer.conversationId);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const existing = await this.store.lookups.get(key);
      if (existing) {
        const current = await this.store.escalations.get(existing.value);
        if (current && rules.isOpen(current.value)) return { escalation: current.value, created: false };
      }
      const id = this.newId();
      try {
        if (existing) await this.store.lookups.replace(key, id, existing.etag);
        else await this.store.lookups.create(key, id);
      } catch (err) {
        if (err instanceof ConflictError || err instanceof ConcurrencyError) continue; // another start won: use it
        throw err;
      }
      const escalation = await this.create(id, input);
      return { escalation, created: true };
    }
    throw new ConcurrencyError(`customer conversation ${input.customer.conversationId}`);
  }

  private async create(id: string, input: StartInput): Promise<Escalation> {
    const at = this.now().toISOString();
    const escalation: Escalation = {
      id,
      status: 'queued',
      customer: input.customer,
      problem: input.problem,
      context: input.context,
      createdAt: at,
      updatedAt: at,
    };
    await this.store.escalations.create(escalation);
    this.log.info({ escalationId: id }, 'escalation created');
    // Both stored before startConversation is answered: the card (announced on the desk) and the in-line notice.
    const card = await this.record(escalation, 'toDesk', 'card', '');
    const inLine = await this.record(escalation, 'toCustomer', 'notice', notices.inLine());
    void this.relay.dispatch(escalation, card);
    void this.relay.dispatch(escalation, inLine);
    return escalation;
  }

  /** A customer line from the skill: stored, then relayed to the desk. */
  async customerMessage(conversationId: string, text: string, activityId?: string, problem?: string): Promise<CustomerMessageResult> {
    let found = await this.findByCustomer(conversationId);
    if (!found) return { kind: 'unknown' };
    if (!rules.isOpen(found.value)) return { kind: 'closed', escalation: found.value };
    if (problem && !found.value.problem) found = await this.setProblem(found, problem);
    const e = found.value;
    const entry = newEntry({
      escalationId: e.id,
      direction: 'toDesk',
      kind: 'customer',
      author: { id: e.customer.userId, name: e.customer.userName },
      text,
      sourceActivityId: activityId,
      now: this.now().toISOString(),
    });
    const recorded = await this.relay.record(entry, e);
    if (recorded.duplicate) return { kind: 'duplicate', escalation: e };
    void this.relay.dispatch(e, recorded);
    this.lastMessages.set(e.id, entry.at);
    return { kind: 'relayed', escalation: e };
  }

  /** The customer said goodbye or Copilot Studio ended the skill. Unknown or closed chats are a no-op. */
  async customerLeft(conversationId: string): Promise<Escalation | undefined> {
    const found = await this.findByCustomer(conversationId);
    if (!found) return undefined;
    const { after, changed } = await this.mutate(found.value.id, (e) =>
      rules.isOpen(e) ? rules.customerLeft(e, this.now().toISOString()) : e,
    );
    // Also when this is the retry of a request whose notice could not be stored: the notice's id makes it once.
    if (after.closedReason === 'customer') {
      if (changed) this.log.info({ escalationId: after.id }, 'customer left');
      await this.transitionNotice(after, 'toDesk', notices.customerLeft(), `left|${after.closedAt}`, changed);
    }
    return after;
  }

  /** Claims an escalation; the store's ETag condition decides races, so exactly one agent wins. */
  async claim(escalationId: string, agent: AgentRef): Promise<{ escalation: Escalation; changed: boolean }> {
    const { after, changed } = await this.mutate(escalationId, (e) => rules.claim(e, agent, this.now().toISOString()));
    if (changed) this.log.info({ escalationId, agentId: agent.id }, 'escalation claimed');
    await this.transitionNotice(after, 'toCustomer', notices.agentJoined(agent), `claimed|${agent.id}|${after.claimedAt}`, changed);
    return { escalation: after, changed };
  }

  async release(escalationId: string, agent: AgentRef): Promise<Escalation> {
    const { after } = await this.mutate(escalationId, (e) => rules.release(e, agent, this.now().toISOString()));
    this.log.info({ escalationId, agentId: agent.id }, 'escalation released');
    void this.relay.dispatch(after, await this.record(after, 'toCustomer', 'notice', notices.released(agent)));
    await this.refreshDesk(after);
    return after;
  }

  async resolve(escalationId: string, agent: AgentRef): Promise<Escalation> {
    let after: Escalation;
    let changed = true;
    try {
      ({ after } = await this.mutate(escalationId, (e) => rules.resolve(e, agent, this.now().toISOString())));
      this.log.info({ escalationId, agentId: agent.id }, 'escalation resolved');
    } catch (err) {
      // Resolved by this agent already: a retried request (its notice may not have been stored) or a second click.
      const e = err instanceof rules.TransitionError ? err.escalation : undefined;
      if (!(e?.closedReason === 'agent' && e.closedBy?.id === agent.id)) throw err;
      after = e;
      changed = false;
    }
    await this.transitionNotice(after, 'toCustomer', notices.resolved(agent), `resolved|${after.closedAt}`, changed);
    return after;
  }

  /**
   * A line an agent typed on the desk. The owner's lines go to the customer; on a queued escalation the first
   * reply claims it; notes stay internal; anyone else is told who owns the chat.
   */
  async agentMessage(
    found: Escalation,
    agent: AgentRef,
    text: string,
    options: { activityId?: string; note?: boolean } = {},
  ): Promise<AgentMessageResult> {
    // `found` is the escalation as just read for the thread (findByDesk): no third read on the message path.
    const escalationId = found.id;
    let e = found;
    if (!rules.isOpen(e)) return { kind: 'closed', escalation: e };
    if (options.note) {
      const entry = newEntry({ escalationId, direction: 'internal', kind: 'note', author: agent, text, sourceActivityId: options.activityId, now: this.now().toISOString() });
      const { duplicate } = await this.relay.record(entry);
      return { kind: duplicate ? 'duplicate' : 'note', escalation: e };
    }
    let claimed = false;
    if (e.status === 'queued') {
      try {
        const result = await this.claim(escalationId, agent);
        e = result.escalation;
        claimed = result.changed;
      } catch (err) {
        if (!(err instanceof rules.TransitionError)) throw err;
        e = err.escalation;
      }
    }
    if (!rules.isOpen(e)) return { kind: 'closed', escalation: e };
    if (e.owner?.id !== agent.id) return { kind: 'notOwner', escalation: e };
    const entry = newEntry({ escalationId, direction: 'toCustomer', kind: 'agent', author: agent, text, sourceActivityId: options.activityId, now: this.now().toISOString() });
    const recorded = await this.relay.record(entry, e);
    if (recorded.duplicate) return { kind: 'duplicate', escalation: e };
    void this.relay.dispatch(e, recorded);
    this.lastMessages.set(e.id, entry.at);
    return { kind: 'relayed', escalation: e, claimed };
  }

  /** Posts a service notice into the escalation's desk thread (e.g. "owned by X"); stored like any line. */
  async deskNotice(e: Escalation, text: string): Promise<void> {
    void this.relay.dispatch(e, await this.record(e, 'toDesk', 'notice', text));
  }

  async get(escalationId: string): Promise<Escalation | undefined> {
    return (await this.store.escalations.get(escalationId))?.value;
  }

  /** At most two point reads: the desk thread's lookup, then the escalation. */
  async findByDesk(deskConversationId: string): Promise<Escalation | undefined> {
    const lk = await this.store.lookups.get(lookupKey.desk(deskConversationId));
    return lk ? (await this.store.escalations.get(lk.value))?.value : undefined;
  }

  /** At most two point reads: the customer chat's lookup, then the escalation. */
  private async findByCustomer(conversationId: string): Promise<Versioned<Escalation> | undefined> {
    const lk = await this.store.lookups.get(lookupKey.customer(conversationId));
    return lk ? this.store.escalations.get(lk.value) : undefined;
  }

  async transcript(escalationId: string): Promise<TranscriptEntry[]> {
    return this.store.transcripts.list(escalationId);
  }

  private record(e: Escalation, direction: TranscriptEntry['direction'], kind: TranscriptEntry['kind'], text: string, key?: string) {
    return this.relay.record(newEntry({ escalationId: e.id, direction, kind, text, sourceActivityId: key, now: this.now().toISOString() }), e);
  }

  /**
   * Stores a state change's notice and the card update. The state is written first, so if storing the notice fails
   * the request fails (503) and its retry finds the state already changed: the notice's id is derived from the
   * transition (`key`), so the retry stores it if it is missing and finds a duplicate if it is not.
   */
  private async transitionNotice(e: Escalation, direction: 'toDesk' | 'toCustomer', text: string, key: string, changed: boolean): Promise<void> {
    const notice = await this.record(e, direction, 'notice', text, `transition|${key}`);
    if (!changed && notice.duplicate) return; // a repeated click: nothing was missing
    if (!notice.duplicate) void this.relay.dispatch(e, notice);
    await this.refreshDesk(e);
  }

  /** The first sendMessage may carry the problem that startConversation lacked: show it on the card. */
  private async setProblem(found: Versioned<Escalation>, problem: string): Promise<Versioned<Escalation>> {
    const at = this.now().toISOString();
    const { after, changed } = await this.mutate(found.value.id, (e) => (e.problem ? e : { ...e, problem, updatedAt: at }));
    if (changed) await this.refreshDesk(after);
    return (await this.store.escalations.get(after.id)) ?? found;
  }

  /** Stores a card update (rendered from the newest state when delivered) and queues it in the desk lane. */
  private async refreshDesk(e: Escalation): Promise<void> {
    void this.relay.dispatch(e, await this.record(e, 'toDesk', 'card', ''));
  }

  /**
   * The card shows when the last line went through. Writing that on every line would cost a write per message,
   * so each instance remembers it and it rides along with the next state change.
   */
  private withLastMessage(e: Escalation): Escalation {
    const local = this.lastMessages.get(e.id);
    if (!rules.isOpen(e)) this.lastMessages.delete(e.id);
    return local && (!e.lastMessageAt || local > e.lastMessageAt) ? { ...e, lastMessageAt: local } : e;
  }

  /**
   * Applies a pure transition under the store's ETag condition, re-reading and re-applying after a lost race.
   * A transition that no longer applies throws its TransitionError to the caller.
   */
  private async mutate(id: string, transition: (e: Escalation) => Escalation): Promise<{ after: Escalation; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.store.escalations.get(id);
      if (!current) throw new NotFoundError(`escalation ${id}`);
      const transitioned = transition(current.value);
      if (transitioned === current.value) return { after: transitioned, changed: false };
      const next = this.withLastMessage(transitioned);
      try {
        const saved = await this.store.escalations.replace(next, current.etag);
        return { after: saved.value, changed: true };
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
      }
    }
    throw new ConcurrencyError(`escalation ${id}`);
  }
}
