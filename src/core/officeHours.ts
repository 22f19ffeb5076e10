/**
 * Office hours: weekly opening windows and holidays in one IANA time zone. Pure: every answer is computed from the
 * instant it is given. Used to hold SLA reminders until opening and to tell customers when agents are back.
 */

export interface OpeningWindow {
  /** 0 = Sunday … 6 = Saturday, in the office's time zone. */
  day: number;
  /** Minutes after local midnight: open from `from` (inclusive) to `to` (exclusive). */
  from: number;
  to: number;
}

export interface OfficeHours {
  timeZone: string;
  windows: OpeningWindow[];
  /** Local dates (YYYY-MM-DD) on which the office stays closed. */
  holidays: Set<string>;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export class OfficeHoursError extends Error {}

function minutesOf(text: string, spec: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!m || (m[1] === '24' && m[2] !== '00')) throw new OfficeHoursError(`"${text}" in "${spec}" is not a time (HH:MM, 00:00–24:00)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function daysOf(text: string, spec: string): number[] {
  const days: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.trim().toLowerCase().split('-');
    const from = DAYS.indexOf(a?.slice(0, 3) ?? '');
    const to = b === undefined ? from : DAYS.indexOf(b.slice(0, 3));
    if (from < 0 || to < 0 || (a?.length ?? 0) < 3) throw new OfficeHoursError(`"${part.trim()}" in "${spec}" is not a day or range of days (Mon, Mon-Fri)`);
    for (let d = from; ; d = (d + 1) % 7) {
      days.push(d);
      if (d === to) break;
    }
  }
  return days;
}

/** Parses `Mon-Fri 08:00-18:00; Sat 09:00-12:00`. Empty: undefined (always open). Throws OfficeHoursError. */
export function parseOfficeHours(spec: string, timeZone: string, holidays: string): OfficeHours | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new OfficeHoursError(`"${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  const days = new Set<string>();
  for (const h of holidays.split(',').map((s) => s.trim()).filter(Boolean)) {
    // Date.parse takes 2026-02-30 as March 2nd: a real date is one that reads back the same.
    const at = Date.parse(`${h}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(h) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== h) throw new OfficeHoursError(`"${h}" is not a date (YYYY-MM-DD)`);
    days.add(h);
  }
  if (!spec.trim()) return undefined;
  const windows: OpeningWindow[] = [];
  for (const rule of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\S+)\s+(\S+)-(\S+)$/.exec(rule);
    if (!m) throw new OfficeHoursError(`"${rule}" is not "<days> HH:MM-HH:MM"`);
    const [from, to] = [minutesOf(m[2], rule), minutesOf(m[3], rule)];
    if (to <= from) throw new OfficeHoursError(`"${rule}": the closing time must be after the opening time`);
    for (const day of daysOf(m[1], rule)) windows.push({ day, from, to });
  }
  windows.sort((a, b) => a.day - b.day || a.from - b.from);
  return { timeZone, windows, holidays: days };
}

interface LocalTime {
  date: string;
  year: number;
  month: number;
  day: number;
  weekday: number;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(instant: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, x.value]));
  const [year, month, day] = [Number(p.year), Number(p.month), Number(p.day)];
  return { date: `${p.year}-${p.month}-${p.day}`, year, month, day, weekday: DAYS.indexOf(String(p.weekday).toLowerCase()), minutes: Number(p.hour) * 60 + Number(p.minute) };
}

/** A local time read as if it were UTC (minutes since the epoch of the office's wall clock). */
function wallClockOf(instant: number, timeZone: string): number {
  const l = localTime(new Date(instant), timeZone);
  return Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes);
}

const MINUTE_MS = 60_000;
/** Further than any UTC offset (−12 h … +14 h) reaches: the instant of a wall time lies within this of it read as UTC. */
const OFFSET_REACH_MS = 15 * 3600_000;

/**
 * The instant at local `minutes` on a local civil date (the offset is read at that instant, so DST is right). A
 * time the clocks skip (02:30 on the day summer time starts) is reached at the change itself: the first instant
 * whose local time is past it, which is also when `isOpenAt` first says open.
 */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = wall;
  for (let i = 0; i < 2; i++) guess += wall - wallClockOf(guess, timeZone);
  if (wallClockOf(guess, timeZone) === wall) return new Date(guess);
  // Skipped: search, to the minute, for the first instant whose wall clock is at or past it.
  let [lo, hi] = [wall - OFFSET_REACH_MS, wall + OFFSET_REACH_MS];
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
    if (wallClockOf(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

export function isOpenAt(hours: OfficeHours | undefined, instant: Date): boolean {
  if (!hours) return true;
  const l = localTime(instant, hours.timeZone);
  if (hours.holidays.has(l.date)) return false;
  return hours.windows.some((w) => w.day === l.weekday && l.minutes >= w.from && l.minutes < w.to);
}

/** The instant itself when open; else the next opening (undefined when no window ever opens within a year). */
export function nextOpening(hours: OfficeHours | undefined, instant: Date): Date | undefined {
  if (isOpenAt(hours, instant) || !hours) return instant;
  const now = localTime(instant, hours.timeZone);
  for (let d = 0; d <= 366; d++) {
    const civil = new Date(Date.UTC(now.year, now.month - 1, now.day + d));
    const [y, m, day] = [civil.getUTCFullYear(), civil.getUTCMonth() + 1, civil.getUTCDate()];
    const date = `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    if (hours.holidays.has(date)) continue;
    for (const w of hours.windows) {
      if (w.day !== civil.getUTCDay() || (d === 0 && w.from <= now.minutes)) continue;
      return instantOf(y, m, day, w.from, hours.timeZone);
    }
  }
  return undefined;
}

/**
 * When a wait of `seconds` of open time that starts at `from` ends: the clock runs only while the office is open,
 * so an SLA reminder due outside hours waits until opening.
 */
export function afterOpenSeconds(hours: OfficeHours | undefined, from: Date, seconds: number): Date {
  if (!hours) return new Date(from.getTime() + seconds * 1000);
  let at = nextOpening(hours, from) ?? from;
  let left = seconds * 1000;
  for (let guard = 0; guard < 400; guard++) {
    const closes = closingAfter(hours, at);
    if (at.getTime() + left <= closes.getTime()) return new Date(at.getTime() + left);
    left -= closes.getTime() - at.getTime();
    at = nextOpening(hours, closes) ?? closes;
  }
  return at;
}

/** The open time between two instants, in seconds (plain time without office hours): a claim's wait as the reminders count it. */
export function openSecondsBetween(hours: OfficeHours | undefined, from: Date, to: Date): number {
  if (!hours) return Math.max(0, (to.getTime() - from.getTime()) / 1000);
  let open = 0;
  let at = nextOpening(hours, from) ?? to;
  for (let guard = 0; guard < 400 && at < to; guard++) {
    const closes = closingAfter(hours, at);
    open += Math.min(closes.getTime(), to.getTime()) - at.getTime();
    at = nextOpening(hours, closes) ?? to;
  }
  return Math.max(0, open / 1000);
}

/** Adjacent windows are followed this far at most: an office open all week never closes, and the wait is then plain time. */
const LONGEST_STRETCH_MS = 8 * 24 * 3600_000;

/** The end of the open window that contains `instant` (which must be open); adjacent windows form one stretch. */
function closingAfter(hours: OfficeHours, instant: Date): Date {
  let at = instant;
  while (at.getTime() - instant.getTime() < LONGEST_STRETCH_MS) {
    const l = localTime(at, hours.timeZone);
    const w = hours.windows.find((x) => x.day === l.weekday && l.minutes >= x.from && l.minutes < x.to);
    if (!w) return at;
    // e.g. 08:00-12:00 then 12:00-18:00, or Mon 00:00-24:00 then Tue 00:00-24:00
    const end = instantOf(l.year, l.month, l.day, w.to, hours.timeZone);
    if (end.getTime() <= at.getTime() || !isOpenAt(hours, end)) return end;
    at = end;
  }
  return at;
}
