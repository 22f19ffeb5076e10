/**
 * The one place that turns events into outbox items: notices for the customer or the desk, and card changes. Every
 * item's id derives from its event's, so storing the effects of an event again (a retried request, the sweep) adds
 * nothing that is there already and brings back whatever is missing.
 */
import type { Escalation, EventRecord } from './escalation';
import type { MentionTarget } from './mentions';
import { notices } from './notices';
import { newCardItem, newEntry, type OutboxItem } from './transcript';

/** What the closing of a chat also does (settings). */
export interface EffectPolicy {
  /** Post the whole transcript into the thread when the chat closes (TRANSCRIPT_ON_CLOSE). */
  transcriptOnClose: boolean;
}

export const DEFAULT_EFFECTS: EffectPolicy = { transcriptOnClose: true };

export function effectsOf(event: EventRecord, e: Escalation, now: Date, policy: EffectPolicy = DEFAULT_EFFECTS): OutboxItem[] {
  const items = itemsOf(event, e, now);
  // A close of any kind ends with the transcript in the thread, after everything the close itself says.
  const closes = ['resolved', 'customerLeft', 'abandoned', 'closedInactive', 'forceClosed'].includes(event.type);
  if (closes && policy.transcriptOnClose) items.push({ ...newCardItem(e.id, `${event.id}|transcript`, now), post: 'transcript' });
  return items;
}

function itemsOf(event: EventRecord, e: Escalation, now: Date): OutboxItem[] {
  const card = () => newCardItem(e.id, event.id, now);
  // Each notice names its event: the transcript lists them (claims, releases, transfers, the close).
  const notice = (direction: 'toDesk' | 'toCustomer', text: string, mentions?: MentionTarget[]) =>
    newEntry({ escalationId: e.id, direction, kind: 'notice', text, sourceActivityId: `event|${event.id}`, event: event.type, now, ...(mentions?.length ? { mentions } : {}) });
  const locale = e.customer.locale;
  switch (event.type) {
    case 'started':
      return [card(), notice('toCustomer', notices.inLine(event, locale))];
    case 'claimed':
      return [notice('toCustomer', notices.agentJoined(event.agent)), card()];
    case 'released':
      return [notice('toCustomer', notices.released(event.agent, event, locale)), card()];
    case 'resolved': {
      const goodbye = notice('toCustomer', notices.resolved(event.agent));
      // The survey is its own message after the goodbye (a card with buttons; its id derives from the event too).
      const survey = event.survey ? [{ ...newEntry({ escalationId: e.id, direction: 'toCustomer', kind: 'notice', text: notices.surveyQuestion(), sourceActivityId: `event|${event.id}|survey`, event: event.type, now }), ask: 'rating' as const }] : [];
      return [goodbye, ...survey, card()];
    }
    case 'rated':
      return [notice('toCustomer', notices.thanksForRating(event.score)), card()];
    case 'customerLeft':
      return [notice('toDesk', notices.customerLeft()), card()];
    // Reminders say how things stand: stored late (a retry, the sweep's settling) after the chat moved on, they would
    // be untrue (an "unclaimed" alert after the claim), so only the card change is kept then.
    case 'queuePositionChanged':
      return e.status === 'queued' ? [notice('toCustomer', notices.queuePosition(event.position))] : [];
    case 'claimOverdue':
      return [...(e.status === 'queued' ? [notice('toDesk', notices.claimOverdue(event.waitedSeconds, event.level), event.mentions)] : []), card()];
    case 'replyOverdue':
      return e.status === 'claimed' && e.owner?.id === event.owner.id ? [notice('toDesk', notices.replyOverdue(event.waitedSeconds), [{ kind: 'agent', id: event.owner.id, name: event.owner.name }])] : [];
    case 'checkedIn':
      return e.status === 'claimed' ? [notice('toCustomer', notices.checkIn(event.closeInSeconds))] : [];
    case 'closedInactive':
      return [notice('toCustomer', notices.closedInactiveToCustomer()), notice('toDesk', notices.closedInactiveToDesk()), card()];
    case 'abandoned':
    case 'problemAdded':
    case 'customerUnreachable':
    case 'surveyDeclined': // a closed card refreshes itself no more: it would say "no answer yet" for good
      return [card()];
    case 'transferred':
      return [
        notice('toCustomer', notices.transferredToAgent(event.to)),
        notice('toDesk', notices.transferredToAgentInThread(event.by), [{ kind: 'agent', id: event.to.id, name: event.to.name }]),
        card(),
      ];
    case 'forceClosed':
      return [notice('toCustomer', notices.forceClosed()), notice('toDesk', notices.forceClosedInThread(event.by)), card()];
    case 'transferredToQueue': {
      const old = event.oldRef;
      const leftBehind = old
        ? [
            { ...notice('toDesk', notices.transferredAway(event.by, event.from, event.to)), target: old },
            { ...newCardItem(e.id, `${event.id}|old`, now), target: old, transferredTo: event.to },
          ]
        : [];
      return [...leftBehind, notice('toCustomer', notices.transferredToQueue(event.by, event.to)), card()];
    }
    // The first agent line is not worth a card change of its own (a write, a card item and a Teams call on the
    // message path): the owner's and watchers' views refresh themselves (Universal Actions), everyone's card shows it
    // at the next change.
    case 'firstResponse':
    case 'placedOnDesk':
    case 'timersMoved':
      return [];
  }
}
