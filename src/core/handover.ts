/**
 * The handover core: what happens when a customer asks for a person, speaks, leaves, and when agents claim, answer,
 * release and resolve. Channel- and desk-agnostic: state changes go through the ledger (rules → events → outbox),
 * lines straight into the outbox.
 */
import { randomUUID } from 'node:crypto';
import * as rules from './escalation';
import { DEFAULT_QUEUE, queueOf, type AgentRef, type Decision, type Escalation } from './escalation';
import { EscalationFinder } from './finder';
import { UnknownQueueError } from './errors';
import { Ledger } from './ledger';
import type { Logger } from './logger';
import type { Clock, EscalationStore, LookupStore, Outbox, TranscriptStore, Versioned } from './ports';
import type { QueueWatch } from './queueWatch';
import type { QueueRule } from './routing';
import { Starts } from './starts';
import { forceClose, transfer, type TransferTarget } from './transfer';
import { NO_TIMERS, noteLine, retime, type TimerPolicy } from './timers';
import { notices } from './notices';
import { entryId, newEntry, type FileRef, type TranscriptEntry } from './transcript';
import type { AgentMessageResult, CustomerLine, CustomerMessageResult, StartInput } from './handoverInputs';

export type { AgentMessageResult, CustomerLine, CustomerMessageResult, StartInput } from './handoverInputs';

export interface HandoverDeps {
  store: { escalations: EscalationStore; lookups: LookupStore; transcripts: TranscriptStore };
  outbox: Outbox;
  log: Logger;
  clock?: Clock;
  newId?: () => string;
  /** Which desk serves a new escalation of `queue` (a name in the registry of desks). */
  deskFor?: (queue: string) => string;
  /** Timer durations (off when absent) and where customers stand in the queue (not told when absent). */
  timers?: TimerPolicy;
  queues?: QueueWatch;
  /** The named queues besides the default one, with their routing rules. */
  queueRules?: QueueRule[];
  /** What closing a chat does besides: the transcript in the thread, the survey after an agent's resolve. */
  closing?: { transcriptOnClose: boolean; surveyOnResolve: boolean };
  /** How long the store keeps a closed escalation (it forgets it after that); absent: for ever. */
  retentionMs?: number;
}

export class Handover {
  private readonly store: HandoverDeps['store'];
  private readonly outbox: Outbox;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly deskFor: (queue: string) => string;
  private readonly find: EscalationFinder;
  private readonly timers: TimerPolicy;
  private readonly queues?: QueueWatch;
  private readonly queueRules: QueueRule[];
  private readonly surveyOnResolve: boolean;
  readonly ledger: Ledger;
  private readonly starts: Starts;

  constructor(deps: HandoverDeps) {
    this.store = deps.store;
    this.outbox = deps.outbox;
    this.log = deps.log;
    this.clock = deps.clock ?? (() => new Date());
    this.deskFor = deps.deskFor ?? (() => 'teams-channel');
    this.timers = deps.timers ?? NO_TIMERS;
    this.queues = deps.queues;
    this.queueRules = deps.queueRules ?? [];
    this.find = new EscalationFinder(this.store, this.log);
    const closing = deps.closing ?? { transcriptOnClose: true, surveyOnResolve: true };
    this.surveyOnResolve = closing.surveyOnResolve;
    this.ledger = new Ledger(this.store.escalations, this.outbox, this.clock, { transcriptOnClose: closing.transcriptOnClose });
    this.starts = new Starts({ store: this.store, ledger: this.ledger, log: this.log, clock: this.clock, newId: deps.newId ?? randomUUID, deskFor: this.deskFor, timers: this.timers, queues: this.queues, queueRules: this.queueRules, retentionMs: deps.retentionMs ?? Infinity });
  }

  /**
   * Opens an escalation for this customer chat, or returns the open one (one live escalation per chat; starts.ts).
   */
  start(input: StartInput): Promise<{ escalation: Escalation; created: boolean }> {
    return this.starts.start(input);
  }

  /** A customer line from the skill: stored, then relayed to the desk. */
  async customerMessage(line: CustomerLine): Promise<CustomerMessageResult> {
    const found = await this.find.forCustomer(line.conversationId, line.escalationId);
    if (!found) return { kind: 'unknown' };
    let e = found.value;
    let known: Versioned<Escalation> | undefined = found;
    if (!rules.isOpen(e)) {
      // A retried request for a line relayed before the close answers as the first did: it is not the survey's answer.
      const said = line.activityId && (await this.store.transcripts.get(e.id, entryId(e.id, 'toDesk', line.activityId)));
      return said ? { kind: 'duplicate', escalation: e } : { kind: 'closed', escalation: e };
    }
    const problem = line.problem;
    if (problem && !e.problem) {
      e = (await this.ledger.apply(e.id, (x) => rules.addProblem(x, problem, this.clock().toISOString()), found)).escalation;
      known = undefined;
    }
    if (line.refusedFiles) {
      const refusal = newEntry({ escalationId: e.id, direction: 'toCustomer', kind: 'notice', text: notices.fileRefusedToCustomer(), sourceActivityId: line.activityId && `refused|${line.activityId}`, now: this.clock() });
      const recorded = await this.outbox.record(refusal, e);
      void this.outbox.dispatch(e, recorded);
    }
    // A line that was only a refused file: its sender was told, and the desk sees that they wrote (their timers too).
    const text = !line.text && !line.files?.length && line.refusedFiles ? notices.fileRefusedForDesk() : line.text;
    const entry = newEntry({
      escalationId: e.id,
      direction: 'toDesk',
      kind: 'customer',
      author: { id: 'customer', name: e.customer.name },
      text,
      sourceActivityId: line.activityId,
      now: this.clock(),
      files: line.files,
    });
    const recorded = await this.outbox.record(entry, e);
    void this.outbox.dispatch(e, recorded);
    const noted = this.noteLine(e, 'customer', entry.at, known);
    if (noted) await noted;
    return { kind: recorded.duplicate ? 'duplicate' : 'relayed', escalation: e };
  }

  /**
   * The customer's first message after an agent resolved the chat answers the survey: a rating (1–5) is kept and
   * thanked for, anything else ends the survey without one. Either way the chat stays closed.
   */
  async answerSurvey(e: Escalation, text: string): Promise<{ escalation: Escalation; rated: boolean }> {
    if (!e.survey || e.survey.answeredAt) return { escalation: e, rated: false };
    const { escalation, changed } = await this.ledger.apply(e.id, (x) => rules.answerSurvey(x, text, this.clock().toISOString()));
    const rated = changed && escalation.survey?.score !== undefined;
    if (rated) this.log.info({ escalationId: e.id, score: escalation.survey?.score }, 'chat rated');
    return { escalation, rated };
  }

  /** The customer said goodbye or Copilot Studio ended the skill. Unknown chats are a no-op. */
  async customerLeft(conversationId: string): Promise<Escalation | undefined> {
    const found = await this.find.byCustomer(conversationId);
    if (!found) return undefined;
    const { escalation, changed } = await this.ledger.apply(found.value.id, this.timed((e, now) => rules.customerLeft(e, now)), found);
    if (changed) this.log.info({ escalationId: escalation.id }, 'customer left');
    return escalation;
  }

  /** Claims an escalation; the store's ETag condition decides races, so exactly one agent wins. */
  async claim(escalationId: string, agent: AgentRef, inQueue?: string): Promise<{ escalation: Escalation; changed: boolean }> {
    const { escalation, changed } = await this.ledger.apply(
      escalationId,
      this.timed((e, now) => {
        // Transferred to another queue meanwhile: whoever may claim there is decided anew.
        if (inQueue !== undefined && queueOf(e) !== inQueue) throw new rules.TransitionError('moved', `escalation ${e.id} moved to the ${queueOf(e)} queue`, e);
        return rules.claim(e, agent, now);
      }),
    );
    if (changed) this.log.info({ escalationId, agentId: agent.id }, 'escalation claimed');
    return { escalation, changed };
  }

  async release(escalationId: string, agent: AgentRef): Promise<Escalation> {
    // The customer is told where they stand again: their place is kept by creation time, not moved to the back.
    const current = await this.store.escalations.get(escalationId);
    const standing = this.queues && current ? await this.queues.standing(queueOf(current.value), current.value) : {};
    const { escalation, changed } = await this.ledger.apply(escalationId, this.timed((e, now) => rules.release(e, agent, now, standing)), current);
    if (changed) this.log.info({ escalationId, agentId: agent.id }, 'escalation released');
    return escalation;
  }

  /** The owner hands the chat to a colleague or another queue (transfer.ts); the ETag condition decides races. */
  async transfer(escalationId: string, by: AgentRef, to: TransferTarget, asSupervisor = false): Promise<Escalation> {
    if (to.kind === 'queue' && to.queue !== DEFAULT_QUEUE && !this.queueRules.some((q) => q.name === to.queue)) throw new UnknownQueueError(to.queue);
    const target: TransferTarget = to.kind === 'queue' ? { ...to, desk: this.deskFor(to.queue) } : to;
    const { escalation, changed } = await this.ledger.apply(escalationId, this.timed((e, now) => transfer(e, by, target, now, asSupervisor)));
    if (changed) this.log.info({ escalationId, by: by.id, to: to.kind === 'agent' ? to.agent.id : `queue:${to.queue}` }, 'escalation transferred');
    return escalation;
  }

  /** A supervisor closes the chat, whoever owns it (the console checks who is a supervisor). */
  async forceClose(escalationId: string, supervisor: AgentRef): Promise<Escalation> {
    const { escalation, changed } = await this.ledger.apply(escalationId, this.timed((e, now) => forceClose(e, supervisor, now)));
    if (changed) this.log.info({ escalationId, supervisorId: supervisor.id }, 'escalation closed by a supervisor');
    return escalation;
  }

  async resolve(escalationId: string, agent: AgentRef): Promise<Escalation> {
    const { escalation, changed } = await this.ledger.apply(escalationId, this.timed((e, now) => rules.resolve(e, agent, now, { survey: this.surveyOnResolve })));
    if (changed) this.log.info({ escalationId, agentId: agent.id }, 'escalation resolved');
    return escalation;
  }

  /**
   * A line an agent typed on the desk. The owner's lines go to the customer; on a queued escalation the first
   * reply claims it; notes stay internal; anyone else is told who owns the chat.
   */
  async agentMessage(found: Escalation, agent: AgentRef, text: string, options: { activityId?: string; note?: boolean; files?: FileRef[] } = {}): Promise<AgentMessageResult> {
    // `found` is the escalation as just read for the thread (findByDesk): no second read on the message path.
    let e = found;
    if (!rules.isOpen(e)) return { kind: 'closed', escalation: e };
    const entryOf = (direction: 'internal' | 'toCustomer', kind: 'note' | 'agent') =>
      newEntry({ escalationId: e.id, direction, kind, author: agent, text, sourceActivityId: options.activityId, now: this.clock(), files: options.files });
    if (options.note) {
      const { duplicate } = await this.outbox.record(entryOf('internal', 'note'), e);
      return { kind: duplicate ? 'duplicate' : 'note', escalation: e };
    }
    let claimed = false;
    if (e.status === 'queued') {
      try {
        const result = await this.claim(e.id, agent, queueOf(e));
        e = result.escalation;
        claimed = result.changed;
      } catch (err) {
        if (!(err instanceof rules.TransitionError)) throw err;
        e = err.escalation;
      }
    }
    if (!rules.isOpen(e)) return { kind: 'closed', escalation: e };
    if (!e.owner) return { kind: 'moved', escalation: e }; // its claim found it in another queue
    if (e.owner.id !== agent.id) return { kind: 'notOwner', escalation: e };
    const line = entryOf('toCustomer', 'agent');
    const recorded = await this.outbox.record(line, e);
    void this.outbox.dispatch(e, recorded);
    const noted = this.noteLine(e, 'agent', line.at, this.find.versionOf(e)); // the first answer: no re-read before its write
    if (noted) await noted;
    return recorded.duplicate ? { kind: 'duplicate', escalation: e } : { kind: 'relayed', escalation: e, claimed };
  }

  /** A rule with the timers that follow its status change (timers.ts), decided at the current time. */
  private timed(rule: (e: Escalation, now: string) => Decision): (e: Escalation) => Decision {
    return (e) => {
      const now = this.clock().toISOString();
      return retime(e, rule(e, now), this.timers, now);
    };
  }

  /**
   * Moves the conversation's timer when a line makes something due sooner. Usually nothing is written, and then
   * nothing is returned to wait for (no promise on every line).
   */
  private noteLine(e: Escalation, by: 'customer' | 'agent', at: string, known?: Versioned<Escalation>): Promise<unknown> | undefined {
    if (noteLine(e, by, at, this.timers).events.length === 0) return undefined;
    return this.ledger.apply(e.id, (x) => noteLine(x, by, at, this.timers), known);
  }

  /** Posts a service notice into the escalation's desk thread (e.g. "owned by X"); stored like any line. */
  async deskNotice(e: Escalation, text: string, key?: string): Promise<void> {
    const entry = newEntry({ escalationId: e.id, direction: 'toDesk', kind: 'notice', text, sourceActivityId: key, now: this.clock() });
    void this.outbox.dispatch(e, await this.outbox.record(entry, e));
  }

  async get(escalationId: string): Promise<Escalation | undefined> {
    return (await this.store.escalations.get(escalationId))?.value;
  }

  /** One point read when the thread is known to this process (the thread's escalation never changes), else two. */
  findByDesk(threadId: string): Promise<Escalation | undefined> {
    return this.find.byDesk(threadId);
  }

  async transcript(escalationId: string): Promise<TranscriptEntry[]> {
    return this.store.transcripts.list(escalationId);
  }
}
