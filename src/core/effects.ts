/**
 * The one place that turns events into outbox items: notices for the customer or the desk, and card changes. Every
 * item's id derives from its event's, so storing the effects of an event again (a retried request, the sweep) adds
 * nothing that is there already and brings back whatever is missing.
 */
import type { Escalation, EventRecord } from './escalation';
import type { MentionTarget } from './mentions';
import { notices } from './notices';
import { newCardItem, newEntry, type OutboxItem } from './transcript';

export function effectsOf(event: EventRecord, e: Escalation, now: Date): OutboxItem[] {
  const card = () => newCardItem(e.id, event.id, now);
  const notice = (direction: 'toDesk' | 'toCustomer', text: string, mentions?: MentionTarget[]) =>
    newEntry({ escalationId: e.id, direction, kind: 'notice', text, sourceActivityId: `event|${event.id}`, now, ...(mentions?.length ? { mentions } : {}) });
  const locale = e.customer.locale;
  switch (event.type) {
    case 'started':
      return [card(), notice('toCustomer', notices.inLine(event, locale))];
    case 'claimed':
      return [notice('toCustomer', notices.agentJoined(event.agent)), card()];
    case 'released':
      return [notice('toCustomer', notices.released(event.agent, event, locale)), card()];
    case 'resolved':
      return [notice('toCustomer', notices.resolved(event.agent)), card()];
    case 'customerLeft':
      return [notice('toDesk', notices.customerLeft()), card()];
    case 'queuePositionChanged':
      return [notice('toCustomer', notices.queuePosition(event.position))];
    case 'claimOverdue':
      return [notice('toDesk', notices.claimOverdue(event.waitedSeconds, event.level), event.mentions), card()];
    case 'replyOverdue':
      return [notice('toDesk', notices.replyOverdue(event.waitedSeconds), [{ kind: 'agent', id: event.owner.id, name: event.owner.name }])];
    case 'checkedIn':
      return [notice('toCustomer', notices.checkIn(event.closeInSeconds))];
    case 'closedInactive':
      return [notice('toCustomer', notices.closedInactiveToCustomer()), notice('toDesk', notices.closedInactiveToDesk()), card()];
    case 'abandoned':
    case 'problemAdded':
    case 'customerUnreachable':
    case 'firstResponse':
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
    case 'placedOnDesk':
    case 'timersMoved':
      return [];
  }
}
