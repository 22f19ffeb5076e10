/**
 * The one place that turns events into outbox items: notices for the customer or the desk, and card changes. Every
 * item's id derives from its event's, so storing the effects of an event again (a retried request, the sweep) adds
 * nothing that is there already and brings back whatever is missing.
 */
import type { Escalation, EventRecord } from './escalation';
import { notices } from './notices';
import { newCardItem, newEntry, type OutboxItem } from './transcript';

export function effectsOf(event: EventRecord, e: Escalation, now: Date): OutboxItem[] {
  const card = () => newCardItem(e.id, event.id, now);
  const notice = (direction: 'toDesk' | 'toCustomer', text: string) =>
    newEntry({ escalationId: e.id, direction, kind: 'notice', text, sourceActivityId: `event|${event.id}`, now });
  switch (event.type) {
    case 'started':
      return [card(), notice('toCustomer', notices.inLine())];
    case 'claimed':
      return [notice('toCustomer', notices.agentJoined(event.agent)), card()];
    case 'released':
      return [notice('toCustomer', notices.released(event.agent)), card()];
    case 'resolved':
      return [notice('toCustomer', notices.resolved(event.agent)), card()];
    case 'customerLeft':
      return [notice('toDesk', notices.customerLeft()), card()];
    case 'abandoned':
    case 'problemAdded':
    case 'customerUnreachable':
      return [card()];
    case 'placedOnDesk':
      return [];
  }
}
