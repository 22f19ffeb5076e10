/**
 * Durable timers, as part of the escalation's state: each is a due time stored with the escalation, moved or
 * cancelled by the changes that make it moot, and fired by a rule like any other (`fireTimers`). Whoever writes the
 * fired state first under the ETag condition fires it; everyone else re-decides on the new state and finds nothing
 * due, so a timer fires once across instances and after restarts. `dueAt` (the earliest) is what the sweep queries.
 *
 * Pure: the facts that need the store (queue position, the last lines' times) are gathered by the timekeeper and
 * passed in.
 */
import { queueOf, type AgentRef, type Decision, type Escalation } from './escalation';
import type { EscalationEvent } from './events';
import type { MentionTarget } from './mentions';
import { afterOpenSeconds, openSecondsBetween, type OfficeHours } from './officeHours';

export interface EscalationTimers {
  /** Queued: when to look at the customer's queue position again. */
  queueUpdate?: string;
  /** Queued: the unclaimed reminder to SLA_NOTIFY, then the one to SLA_LEADS. */
  claimReminder?: string;
  leadReminder?: string;
  /** Claimed: when to look at the conversation again (unanswered customer, silent customer). */
  activity?: string;
  /** The position the customer was last told. */
  toldPosition?: number;
  /** Which unclaimed reminder went out in this queued period (the card's SLA state). */
  claimOverdue?: 'notify' | 'leads';
  /** The unanswered stretch (its start) the owner was already reminded of. */
  replyRemindedFor?: string;
  /** The check-in sent while the customer was silent since the agent's line at `silentSince`. */
  checkIn?: { silentSince: string; at: string };
}

/** All durations in seconds; 0 turns that timer off. */
export interface TimerPolicy {
  queueUpdateSeconds: number;
  claimSeconds: number;
  leadSeconds: number;
  replySeconds: number;
  checkInSeconds: number;
  closeSeconds: number;
  notify: MentionTarget[];
  leads: MentionTarget[];
  hours?: OfficeHours;
}

export const NO_TIMERS: TimerPolicy = { queueUpdateSeconds: 0, claimSeconds: 0, leadSeconds: 0, replySeconds: 0, checkInSeconds: 0, closeSeconds: 0, notify: [], leads: [] };

/** What the timekeeper read for an escalation whose timers are due. */
export interface TimerFacts {
  /** Its place in its queue now (queued escalations). */
  position?: number;
  /** Times of the conversation's lines (claimed escalations). */
  lines?: LineFacts;
}

export interface LineFacts {
  /** The owner's (any agent's) newest line to the customer. */
  lastAgentAt?: string;
  /** The first customer line after that agent line (or the first at all): the start of an unanswered stretch. */
  firstUnansweredAt?: string;
}

const DUE_KINDS = ['queueUpdate', 'claimReminder', 'leadReminder', 'activity'] as const;

const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();
const secondsBetween = (from: string, to: string) => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
const earliest = (...times: Array<string | undefined>) => times.filter((t): t is string => !!t).sort()[0];

/** The escalation with `dueAt` set to its earliest timer (or cleared). */
export function withDueAt(e: Escalation): Escalation {
  const dueAt = earliest(...DUE_KINDS.map((k) => e.timers?.[k]));
  const { dueAt: _old, ...rest } = e;
  return dueAt ? { ...rest, dueAt } : rest;
}

/**
 * Timers follow the status: entering the queue arms the queue's timers (a new queued period), a claim replaces them
 * by the conversation's, closing clears them all. Applied to every decision of the handover.
 */
export function retime(before: Escalation | undefined, d: Decision, p: TimerPolicy, now: string): Decision {
  const e = d.escalation;
  // A queued chat moved to another queue (a supervisor's reassign) starts a queued period there: that team's
  // reminders, its wait counted from now, not the old queue's spent ones. A claimed chat handed to a colleague starts
  // a claimed period: the new owner's reply clock, not the reminders the old owner had already been given.
  if (d.events.length === 0 || (before && before.status === e.status && !newPeriod(before, e))) return d;
  let next: Escalation;
  if (e.status === 'queued') {
    const from = new Date(now);
    next = {
      ...e,
      queuedAt: now,
      timers: {
        queueUpdate: p.queueUpdateSeconds > 0 ? plus(now, p.queueUpdateSeconds) : undefined,
        claimReminder: p.claimSeconds > 0 ? afterOpenSeconds(p.hours, from, p.claimSeconds).toISOString() : undefined,
        leadReminder: p.leadSeconds > 0 ? afterOpenSeconds(p.hours, from, p.leadSeconds).toISOString() : undefined,
        toldPosition: positionTold(d.events),
      },
    };
  } else if (e.status === 'claimed') {
    // The wait for a claim is the queue's: a hand-over between agents keeps the one measured at the first claim.
    // Open time only, as the reminders count it: a chat queued over a weekend would otherwise make every estimate hours long.
    const waited = before?.status === 'claimed' ? e.claimWaitSeconds : e.queuedAt ? Math.round(openSecondsBetween(p.hours, new Date(e.queuedAt), new Date(now))) : undefined;
    next = { ...e, claimWaitSeconds: waited, timers: { activity: p.replySeconds > 0 ? plus(now, p.replySeconds) : undefined } };
  } else {
    const { timers: _t, ...rest } = e;
    next = rest;
  }
  return { ...d, escalation: withDueAt(compact(next)) };
}

/** Same status, new period: a queued chat in another queue, a claimed one with another owner. */
function newPeriod(before: Escalation, e: Escalation): boolean {
  if (e.status === 'queued') return queueOf(before) !== queueOf(e);
  return e.status === 'claimed' && before.owner?.id !== e.owner?.id;
}

function positionTold(events: EscalationEvent[]): number | undefined {
  for (const ev of events) if ((ev.type === 'started' || ev.type === 'released') && ev.position) return ev.position;
  return undefined;
}

function uniqueTargets(targets: MentionTarget[]): MentionTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => !seen.has(`${t.kind}|${t.id}`) && seen.add(`${t.kind}|${t.id}`));
}

/** Drops undefined timer fields so stored documents stay small and comparable. */
function compact(e: Escalation): Escalation {
  if (!e.timers) return e;
  const timers = Object.fromEntries(Object.entries(e.timers).filter(([, v]) => v !== undefined)) as EscalationTimers;
  return { ...e, timers };
}

/** Fires whatever is due at `now`: the events it causes and the timers moved on. No events: nothing was due. */
export function fireTimers(e: Escalation, now: string, facts: TimerFacts, p: TimerPolicy): Decision {
  const t = e.timers ?? {};
  const due = (k: (typeof DUE_KINDS)[number]) => t[k] !== undefined && t[k]! <= now;
  if (!DUE_KINDS.some(due)) return { escalation: e, events: [] };
  const events: EscalationEvent[] = [];
  const timers: EscalationTimers = { ...t };
  let next: Escalation = e;
  if (e.status === 'queued') {
    const waitedSeconds = secondsBetween(e.queuedAt ?? e.createdAt, now);
    if (due('queueUpdate')) {
      // Turned off since it was armed (QUEUE_UPDATE_SECONDS=0 at a restart): it stops.
      timers.queueUpdate = p.queueUpdateSeconds > 0 ? plus(now, p.queueUpdateSeconds) : undefined;
      if (p.queueUpdateSeconds > 0 && facts.position !== undefined && facts.position !== t.toldPosition) {
        events.push({ type: 'queuePositionChanged', position: facts.position });
        timers.toldPosition = facts.position;
      }
    }
    const [notifyDue, leadsDue] = [due('claimReminder'), due('leadReminder')];
    if (notifyDue) timers.claimReminder = undefined;
    if (leadsDue) timers.leadReminder = undefined;
    if (notifyDue || leadsDue) {
      // Both at once (a late sweep, or equal SLAs): one event tells both, as a change has one event of each type
      // (its id names the type), so a second would be taken for a retry of the first and dropped.
      const level = leadsDue ? 'leads' : 'notify';
      timers.claimOverdue = level;
      events.push({ type: 'claimOverdue', level, waitedSeconds, mentions: notifyDue && leadsDue ? uniqueTargets([...p.notify, ...p.leads]) : leadsDue ? p.leads : p.notify });
    }
  } else if (e.status === 'claimed' && due('activity')) {
    const result = lookAtConversation(e, now, facts.lines ?? {}, p);
    events.push(...result.events);
    Object.assign(timers, result.timers);
    if (result.closed) next = { ...next, status: 'closed', closedReason: 'inactive', closedAt: now };
  } else {
    // Due timers of a state that no longer has them (should not happen): cleared.
    for (const k of DUE_KINDS) if (due(k)) timers[k] = undefined;
  }
  if (events.length === 0) events.push({ type: 'timersMoved' });
  next = { ...next, timers: next.status === 'closed' ? {} : timers };
  return { escalation: withDueAt(compact({ ...next, rev: e.rev + 1, updatedAt: now })), events };
}

/** The reply SLA and the inactivity check-in and close of a claimed escalation, from its lines' times. */
function lookAtConversation(e: Escalation, now: string, lines: LineFacts, p: TimerPolicy): { events: EscalationEvent[]; timers: EscalationTimers; closed: boolean } {
  const t = e.timers ?? {};
  const events: EscalationEvent[] = [];
  const timers: EscalationTimers = {};
  const dues: string[] = [];
  const claimedAt = e.claimedAt ?? e.createdAt;
  // The owner can answer only from the claim on: an older unanswered line counts from then.
  const first = lines.firstUnansweredAt;
  const unansweredSince = first ? (first > claimedAt ? first : claimedAt) : undefined;
  if (p.replySeconds > 0 && unansweredSince && t.replyRemindedFor !== unansweredSince) {
    const dueAt = plus(unansweredSince, p.replySeconds);
    if (dueAt <= now && e.owner) {
      events.push({ type: 'replyOverdue', waitedSeconds: secondsBetween(unansweredSince, now), owner: e.owner as AgentRef });
      timers.replyRemindedFor = unansweredSince;
    } else if (dueAt > now) dues.push(dueAt);
  }
  // The silence clock runs from the owner's side of the conversation: an agent line since the claim. A line of an
  // earlier owner (before a re-claim or a hand-over) does not make the customer look silent to the new one.
  const silentSince = !first && lines.lastAgentAt && lines.lastAgentAt >= claimedAt ? lines.lastAgentAt : undefined;
  let closed = false;
  if (p.checkInSeconds > 0 && silentSince) {
    if (t.checkIn?.silentSince === silentSince) {
      if (p.closeSeconds > 0) {
        const closeAt = plus(t.checkIn.at, p.closeSeconds);
        if (closeAt <= now) {
          events.push({ type: 'closedInactive' });
          closed = true;
        } else dues.push(closeAt);
      }
    } else {
      const checkInAt = plus(silentSince, p.checkInSeconds);
      if (checkInAt <= now) {
        events.push({ type: 'checkedIn', closeInSeconds: p.closeSeconds });
        timers.checkIn = { silentSince, at: now };
        if (p.closeSeconds > 0) dues.push(plus(now, p.closeSeconds));
      } else dues.push(checkInAt);
    }
  }
  timers.activity = earliest(...dues);
  return { events, timers, closed };
}

/**
 * A line was taken in: the conversation's timer is moved earlier when this line makes something due sooner (a
 * customer line starts the reply clock, an agent line the silence clock), and the first agent line is the first
 * response. Usually nothing changes, so a line costs no write of the escalation.
 */
export function noteLine(e: Escalation, by: 'customer' | 'agent', at: string, p: TimerPolicy): Decision {
  if (e.status !== 'claimed') return { escalation: e, events: [] };
  const events: EscalationEvent[] = [];
  let next = e;
  if (by === 'agent' && !e.firstResponseAt) {
    next = { ...next, firstResponseAt: at };
    events.push({ type: 'firstResponse' });
  }
  const seconds = by === 'customer' ? p.replySeconds : p.checkInSeconds;
  const current = e.timers?.activity;
  if (seconds > 0) {
    const candidate = plus(at, seconds);
    // A due timer is moved too: a sweep may be deciding on line times read before this line, and this write makes
    // its conditional write fail, so it decides again on an escalation with nothing due (not an inactivity close).
    if (!current || candidate < current || current <= at) {
      next = { ...next, timers: { ...next.timers, activity: candidate } };
      if (events.length === 0) events.push({ type: 'timersMoved' });
    }
  }
  if (events.length === 0) return { escalation: e, events };
  return { escalation: withDueAt({ ...next, rev: e.rev + 1, updatedAt: at }), events };
}

/** The facts from the newest agent line and the first customer line after it (or the first at all). */
export function lineFacts(lastAgentAt?: string, firstUnansweredAt?: string): LineFacts {
  return { ...(lastAgentAt ? { lastAgentAt } : {}), ...(firstUnansweredAt ? { firstUnansweredAt } : {}) };
}
