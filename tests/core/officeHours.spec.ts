import { strict as assert } from 'node:assert';
import { afterOpenSeconds, isOpenAt, nextOpening, OfficeHoursError, openSecondsBetween, parseOfficeHours } from '../../src/core/officeHours';

// 2026-12-04 is a Friday; Berlin is on CET (UTC+1) in December and CEST (UTC+2) from 2027-03-28.
const berlin = parseOfficeHours('Mon-Fri 08:00-18:00; Sat 09:00-12:00', 'Europe/Berlin', '2026-12-24,2026-12-25')!;
const at = (iso: string) => new Date(iso);

describe('office hours', () => {
  it('parses days, ranges and windows; empty means always open', () => {
    assert.equal(parseOfficeHours('', 'UTC', ''), undefined);
    assert.equal(berlin.windows.length, 6);
    assert.deepEqual(berlin.windows.find((w) => w.day === 6), { day: 6, from: 540, to: 720 });
    assert.equal(isOpenAt(undefined, at('2026-12-06T03:00:00Z')), true);
  });

  it('refuses what it cannot read, saying what and why', () => {
    assert.throws(() => parseOfficeHours('Mon-Fri 8-18', 'UTC', ''), /"8" in "Mon-Fri 8-18" is not a time/);
    assert.throws(() => parseOfficeHours('Funday 08:00-18:00', 'UTC', ''), OfficeHoursError);
    assert.throws(() => parseOfficeHours('Mon 18:00-08:00', 'UTC', ''), /closing time must be after/);
    assert.throws(() => parseOfficeHours('Mon 08:00-18:00', 'Mars/Olympus', ''), /not an IANA time zone/);
    assert.throws(() => parseOfficeHours('Mon 08:00-18:00', 'UTC', '24.12.2026'), /not a date/);
  });

  it('is open inside a window in the office time zone, closed outside and on holidays', () => {
    assert.equal(isOpenAt(berlin, at('2026-12-04T07:00:00Z')), true, 'Friday 08:00 Berlin');
    assert.equal(isOpenAt(berlin, at('2026-12-04T06:59:00Z')), false, 'Friday 07:59 Berlin');
    assert.equal(isOpenAt(berlin, at('2026-12-04T17:00:00Z')), false, 'Friday 18:00 Berlin: closing is exclusive');
    assert.equal(isOpenAt(berlin, at('2026-12-05T10:00:00Z')), true, 'Saturday 11:00 Berlin');
    assert.equal(isOpenAt(berlin, at('2026-12-24T10:00:00Z')), false, 'Christmas Eve, a Thursday');
  });

  it('finds the next opening: later today, after the weekend, after holidays, across a DST change', () => {
    assert.equal(nextOpening(berlin, at('2026-12-04T05:00:00Z'))?.toISOString(), '2026-12-04T07:00:00.000Z');
    assert.equal(nextOpening(berlin, at('2026-12-05T12:00:00Z'))?.toISOString(), '2026-12-07T07:00:00.000Z', 'Saturday 13:00 → Monday 08:00');
    assert.equal(nextOpening(berlin, at('2026-12-23T18:00:00Z'))?.toISOString(), '2026-12-26T08:00:00.000Z', 'after two holidays: Saturday 09:00');
    assert.equal(nextOpening(berlin, at('2027-03-27T12:00:00Z'))?.toISOString(), '2027-03-29T06:00:00.000Z', 'Monday 08:00 CEST');
    const open = at('2026-12-04T09:00:00Z');
    assert.equal(nextOpening(berlin, open), open);
  });

  it('a window that opens in the hour the clocks skip opens at the change, when the office is first open', () => {
    // Berlin skips 02:00–03:00 on 2027-03-28 (at 01:00 UTC); New York skips 02:00–03:00 on 2027-03-14 (at 07:00 UTC).
    for (const [spec, zone, saturdayNoon, change] of [
      ['Sun 02:30-06:00', 'Europe/Berlin', '2027-03-27T11:00:00Z', '2027-03-28T01:00:00.000Z'],
      ['Sun 02:00-10:00', 'America/New_York', '2027-03-13T17:00:00Z', '2027-03-14T07:00:00.000Z'],
    ]) {
      const hours = parseOfficeHours(spec, zone, '')!;
      const opens = nextOpening(hours, at(saturdayNoon))!;
      assert.equal(opens.toISOString(), change, zone);
      assert.equal(isOpenAt(hours, opens), true, `${zone}: open at the opening it names`);
      assert.equal(isOpenAt(hours, new Date(opens.getTime() - 60_000)), false, `${zone}: closed a minute before`);
      assert.equal(afterOpenSeconds(hours, at(saturdayNoon), 300).getTime(), Date.parse(change) + 300_000, `${zone}: 5 open minutes from the change`);
    }
  });

  it('counts open time only: a wait that runs past closing goes on at the next opening', () => {
    // Friday 17:55 Berlin + 10 open minutes = 5 minutes on Friday, 5 on Saturday from 09:00.
    assert.equal(afterOpenSeconds(berlin, at('2026-12-04T16:55:00Z'), 600).toISOString(), '2026-12-05T08:05:00.000Z');
    // Queued on Sunday: the clock starts on Monday at 08:00.
    assert.equal(afterOpenSeconds(berlin, at('2026-12-06T12:00:00Z'), 300).toISOString(), '2026-12-07T07:05:00.000Z');
    assert.equal(afterOpenSeconds(undefined, at('2026-12-06T12:00:00Z'), 300).toISOString(), '2026-12-06T12:05:00.000Z');
  });
  it('measures open time between two instants (a claim\'s wait): a weekend in between counts nothing', () => {
    // Friday 17:00 Berlin to Monday 08:05: 1 h on Friday, 3 h on Saturday morning, 5 min on Monday.
    assert.equal(openSecondsBetween(berlin, at('2026-12-04T16:00:00Z'), at('2026-12-07T07:05:00Z')), (60 + 180 + 5) * 60);
    assert.equal(openSecondsBetween(berlin, at('2026-12-07T08:00:00Z'), at('2026-12-07T08:02:00Z')), 120, 'within one window');
    assert.equal(openSecondsBetween(berlin, at('2026-12-06T10:00:00Z'), at('2026-12-06T20:00:00Z')), 0, 'a Sunday');
    assert.equal(openSecondsBetween(undefined, at('2026-12-06T10:00:00Z'), at('2026-12-06T10:01:00Z')), 60);
  });

  it('an office open all week (Mon-Sun 00:00-24:00) never closes: a wait is plain time, not a stack overflow', () => {
    const always = parseOfficeHours('Mon-Sun 00:00-24:00', 'Europe/Berlin', '')!;
    const from = new Date('2026-12-07T09:00:00Z');
    assert.equal(afterOpenSeconds(always, from, 300).toISOString(), '2026-12-07T09:05:00.000Z');
    assert.equal(afterOpenSeconds(always, from, 30 * 24 * 3600).toISOString(), '2027-01-06T09:00:00.000Z');
  });
});
