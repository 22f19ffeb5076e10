/** The timer settings (queue updates, SLA reminders, inactivity, office hours), checked together. */
import type { RawSettings } from './config';
import { parseMentionList } from './core/mentions';
import { parseOfficeHours, type OfficeHours } from './core/officeHours';
import type { TimerPolicy } from './core/timers';

export function timerPolicyOf(v: RawSettings, problems: string[]): TimerPolicy {
  const notify = parseMentionList(v.SLA_NOTIFY);
  const leads = parseMentionList(v.SLA_LEADS);
  problems.push(...notify.problems.map((p) => `SLA_NOTIFY: ${p}`), ...leads.problems.map((p) => `SLA_LEADS: ${p}`));
  if (v.SLA_CLAIM_SECONDS > 0 && v.SLA_LEAD_SECONDS > 0 && v.SLA_LEAD_SECONDS <= v.SLA_CLAIM_SECONDS) {
    problems.push(`SLA_LEAD_SECONDS: must be longer than SLA_CLAIM_SECONDS (${v.SLA_CLAIM_SECONDS}): the leads' reminder comes after the team's`);
  }
  // Holidays are days the office hours skip: without office hours the office is always open and they would mean nothing.
  if (v.HOLIDAYS.trim() && !v.OFFICE_HOURS.trim()) problems.push('HOLIDAYS: needs OFFICE_HOURS (without office hours the office never closes)');
  let hours: OfficeHours | undefined;
  try {
    hours = parseOfficeHours(v.OFFICE_HOURS, v.OFFICE_TIMEZONE, v.HOLIDAYS);
  } catch (err) {
    const name = /time zone/.test((err as Error).message) ? 'OFFICE_TIMEZONE' : /YYYY-MM-DD/.test((err as Error).message) ? 'HOLIDAYS' : 'OFFICE_HOURS';
    problems.push(`${name}: ${(err as Error).message}`);
  }
  return {
    queueUpdateSeconds: v.QUEUE_UPDATE_SECONDS,
    claimSeconds: v.SLA_CLAIM_SECONDS,
    leadSeconds: v.SLA_LEAD_SECONDS,
    replySeconds: v.SLA_REPLY_SECONDS,
    checkInSeconds: v.INACTIVITY_CHECKIN_SECONDS,
    closeSeconds: v.INACTIVITY_CLOSE_SECONDS,
    notify: notify.targets,
    leads: leads.targets,
    hours,
  };
}
