import { strict as assert } from 'node:assert';
import * as rules from '../../src/core/escalation';
import type { Escalation } from '../../src/core/escalation';
import { parseOfficeHours } from '../../src/core/officeHours';
import { fireTimers, lineFacts, noteLine, retime, type TimerPolicy } from '../../src/core/timers';
import { transfer } from '../../src/core/transfer';
import { sampleEscalation } from '../helpers/fixtures';

const policy: TimerPolicy = {
  queueUpdateSeconds: 60,
  claimSeconds: 300,
  leadSeconds: 900,
  replySeconds: 300,
  checkInSeconds: 600,
  closeSeconds: 300,
  notify: [{ kind: 'person', id: 'dee@contoso.com' }],
  leads: [{ kind: 'tag', id: 'tag-1', name: 'Leads' }],
};
const T = (seconds: number) => new Date(Date.parse('2026-12-07T09:00:00Z') + seconds * 1000).toISOString();
const ann = { id: '29:ann', name: 'Ann' };

function queuedAt(seconds: number, p = policy): Escalation {
  const d = rules.start({ id: 'e', customer: sampleEscalation().customer, desk: 'd', queue: 'default', problem: 'p', context: {} }, T(seconds), { position: 2 });
  return retime(undefined, d, p, T(seconds)).escalation;
}

function claimedAt(seconds: number): Escalation {
  const e = queuedAt(0);
  return retime(e, rules.claim(e, ann, T(seconds)), policy, T(seconds)).escalation;
}

const types = (d: { events: Array<{ type: string }> }) => d.events.map((x) => x.type);

describe('timers (rules)', () => {
  it('entering the queue arms the queue timers and keeps the earliest as dueAt; the position told is remembered', () => {
    const e = queuedAt(0);
    assert.deepEqual(e.timers, { queueUpdate: T(60), claimReminder: T(300), leadReminder: T(900), toldPosition: 2 });
    assert.equal(e.dueAt, T(60));
    assert.equal(e.queuedAt, T(0));
  });

  it('a claim replaces them by the conversation timer and records the time to claim; closing clears all', () => {
    const e = claimedAt(120);
    assert.deepEqual(e.timers, { activity: T(420) });
    assert.equal(e.claimWaitSeconds, 120);
    const closed = retime(e, rules.resolve(e, ann, T(200)), policy, T(200)).escalation;
    assert.equal(closed.timers, undefined);
    assert.equal(closed.dueAt, undefined);
  });

  it('0 turns a timer off', () => {
    const e = queuedAt(0, { ...policy, queueUpdateSeconds: 0, claimSeconds: 0 });
    assert.deepEqual(e.timers, { leadReminder: T(900), toldPosition: 2 });
  });

  it('nothing due: no events, nothing written', () => {
    const e = queuedAt(0);
    assert.deepEqual(fireTimers(e, T(59), {}, policy).events, []);
  });

  it('the unclaimed reminder fires once with the configured mentions, then the leads\' one', () => {
    let e = queuedAt(0);
    const first = fireTimers(e, T(301), { position: 2 }, policy);
    assert.deepEqual(types(first), ['claimOverdue']);
    assert.deepEqual(first.events[0], { type: 'claimOverdue', level: 'notify', waitedSeconds: 301, mentions: policy.notify });
    e = first.escalation;
    assert.equal(e.timers?.claimOverdue, 'notify');
    assert.equal(e.rev, 2);
    assert.deepEqual(types(fireTimers(e, T(302), { position: 2 }, policy)), [], 'no second reminder');
    const lead = fireTimers(e, T(901), { position: 2 }, policy);
    assert.ok(types(lead).includes('claimOverdue'));
    assert.equal(lead.escalation.timers?.claimOverdue, 'leads');
  });

  it('a queue update tells the customer only a changed position', () => {
    const e = queuedAt(0);
    assert.deepEqual(types(fireTimers(e, T(60), { position: 2 }, policy)), ['timersMoved']);
    const moved = fireTimers(e, T(60), { position: 1 }, policy);
    assert.deepEqual(moved.events, [{ type: 'queuePositionChanged', position: 1 }]);
    assert.equal(moved.escalation.timers?.queueUpdate, T(120));
  });

  it('a customer line the owner leaves unanswered: one reminder mentioning the owner, not one per line', () => {
    const e = claimedAt(0);
    const lines = lineFacts(T(10), T(50));
    const early = fireTimers(e, T(300), { lines }, policy);
    assert.deepEqual(types(early), ['timersMoved']);
    assert.equal(early.escalation.timers?.activity, T(350), 'due 300 s after the first unanswered line');
    const due = fireTimers(early.escalation, T(350), { lines }, policy);
    assert.deepEqual(due.events, [{ type: 'replyOverdue', waitedSeconds: 300, owner: ann }]);
    const again = fireTimers({ ...due.escalation, timers: { ...due.escalation.timers, activity: T(400) } }, T(400), { lines }, policy);
    assert.ok(!types(again).includes('replyOverdue'));
  });

  it('a silent customer is checked in on, then the chat closes as inactive; a customer line in between cancels it', () => {
    const e = claimedAt(0);
    const silent = { lastAgentAt: T(10) };
    const checkIn = fireTimers({ ...e, timers: { activity: T(610) } }, T(610), { lines: silent }, policy);
    assert.deepEqual(checkIn.events, [{ type: 'checkedIn', closeInSeconds: 300 }]);
    assert.equal(checkIn.escalation.timers?.activity, T(910));
    const closed = fireTimers(checkIn.escalation, T(910), { lines: silent }, policy);
    assert.deepEqual(types(closed), ['closedInactive']);
    assert.deepEqual([closed.escalation.status, closed.escalation.closedReason, closed.escalation.dueAt], ['closed', 'inactive', undefined]);
    const answered = fireTimers(checkIn.escalation, T(910), { lines: { lastAgentAt: T(10), firstUnansweredAt: T(700) } }, policy);
    assert.equal(answered.escalation.status, 'claimed');
    assert.equal(answered.escalation.timers?.activity, T(1000), 'now the reply clock runs for the customer\'s line');
  });

  it('a line moves the conversation timer only when it makes something due sooner; the first agent line is the first response', () => {
    const e = claimedAt(0); // activity due at T(300)
    assert.deepEqual(types(noteLine(e, 'customer', T(10), policy)), [], 'T(310) is later: nothing written');
    const first = noteLine(e, 'agent', T(20), policy);
    assert.deepEqual(types(first), ['firstResponse']);
    assert.equal(first.escalation.firstResponseAt, T(20));
    assert.deepEqual(types(noteLine(first.escalation, 'agent', T(30), policy)), []);
    const unset = { ...first.escalation, timers: {} };
    assert.equal(noteLine(unset, 'customer', T(40), policy).escalation.dueAt, T(340));
    assert.deepEqual(types(noteLine(queuedAt(0), 'customer', T(10), policy)), [], 'queued: the queue timers run');
  });

  it('outside office hours the unclaimed reminder waits until opening', () => {
    const hours = parseOfficeHours('Mon-Fri 10:00-18:00', 'UTC', '');
    const e = queuedAt(0, { ...policy, hours }); // Monday 09:00 UTC: opens at 10:00
    assert.equal(e.timers?.claimReminder, T(3600 + 300));
  });
  it('both unclaimed reminders due in one sweep (a late sweep): one event that mentions both, so the leads are told', () => {
    const d = fireTimers(queuedAt(0), T(1000), { position: 2 }, policy);
    const overdue = d.events.filter((x) => x.type === 'claimOverdue');
    assert.equal(overdue.length, 1, 'one event of a type per change: a second would share its id and be dropped as a retry');
    assert.deepEqual(overdue[0], { type: 'claimOverdue', level: 'leads', waitedSeconds: 1000, mentions: [...policy.notify, ...policy.leads] });
    assert.equal(d.escalation.timers?.claimOverdue, 'leads');
    assert.equal(d.escalation.timers?.claimReminder, undefined);
    assert.equal(d.escalation.timers?.leadReminder, undefined);
  });

  it('equal SLAs for the first reminder and the leads\' one do not mention anyone twice', () => {
    const same = { ...policy, leadSeconds: 300, leads: [...policy.leads, policy.notify[0]] };
    const [overdue] = fireTimers(queuedAt(0, same), T(300), {}, same).events.filter((x) => x.type === 'claimOverdue');
    assert.deepEqual(overdue && 'mentions' in overdue ? overdue.mentions : [], [...policy.notify, ...policy.leads]);
  });

  it('a queued chat reassigned to another queue starts a queued period there: fresh reminders, its wait from now', () => {
    const spent = fireTimers(queuedAt(0), T(1000), { position: 2 }, policy).escalation;
    assert.equal(spent.timers?.claimOverdue, 'leads');
    const moved = retime(spent, transfer(spent, { id: '29:sue', name: 'Sue' }, { kind: 'queue', queue: 'billing' }, T(1100), true), policy, T(1100)).escalation;
    assert.equal(moved.queuedAt, T(1100));
    assert.equal(moved.timers?.claimOverdue, undefined, 'the new queue\'s card must not say its leads were told');
    assert.equal(moved.timers?.claimReminder, T(1400));
    assert.equal(moved.timers?.leadReminder, T(2000));
  });

  it('re-claimed after an earlier owner\'s last line: the customer is not checked in on or closed for that owner\'s silence', () => {
    const released = rules.release(claimedAt(0), ann, T(20)).escalation; // Ann said her last line at T(10), then let go
    const bob = { id: '29:bob', name: 'Bob' };
    const reclaimed = retime(released, rules.claim(released, bob, T(900)), policy, T(900)).escalation;
    const lines = { lastAgentAt: T(10) }; // Ann's; the customer answered nothing since, Bob has not spoken yet
    const fired = fireTimers(reclaimed, reclaimed.timers!.activity!, { lines }, policy);
    assert.deepEqual(types(fired), ['timersMoved'], 'no check-in for Ann\'s silence');
    const bobSpoke = { lastAgentAt: T(950) };
    const checkIn = fireTimers({ ...fired.escalation, timers: { activity: T(1550) } }, T(1550), { lines: bobSpoke }, policy);
    assert.deepEqual(types(checkIn), ['checkedIn'], 'the silence clock runs from Bob\'s line');
  });

  it('handed to a colleague: the new owner\'s reply clock starts, even after the old owner was reminded', () => {
    const e = claimedAt(0);
    const lines = { firstUnansweredAt: T(50) };
    const reminded = fireTimers({ ...e, timers: { activity: T(350) } }, T(350), { lines }, policy).escalation;
    assert.deepEqual([reminded.timers?.replyRemindedFor, reminded.timers?.activity], [T(50), undefined], 'Ann was reminded; nothing else is due');
    const bob = { id: '29:bob', name: 'Bob' };
    const handed = retime(reminded, transfer(reminded, ann, { kind: 'agent', agent: bob }, T(400)), policy, T(400)).escalation;
    assert.equal(handed.timers?.activity, T(700), 'Bob\'s reply SLA from the hand-over');
    assert.equal(handed.claimWaitSeconds, e.claimWaitSeconds, 'the wait for a claim stays the first claim\'s');
    const due = fireTimers(handed, T(700), { lines }, policy);
    assert.deepEqual(due.events, [{ type: 'replyOverdue', waitedSeconds: 300, owner: bob }]);
  });

  it('the wait a claim records counts open time only, as the reminders do (the wait estimates are made of it)', () => {
    const hours = parseOfficeHours('Mon-Fri 10:00-18:00', 'UTC', '');
    const p = { ...policy, hours };
    const e = queuedAt(0, p); // Monday 09:00 UTC, an hour before opening
    const claimed = retime(e, rules.claim(e, ann, T(3 * 3600)), p, T(3 * 3600)).escalation; // 12:00: two open hours
    assert.equal(claimed.claimWaitSeconds, 2 * 3600);
    const plain = retime(e, rules.claim(e, ann, T(3 * 3600)), policy, T(3 * 3600)).escalation;
    assert.equal(plain.claimWaitSeconds, 3 * 3600, 'without office hours: plain time');
  });
});
