import { Schedule, isOpen, isValidTimeZone, scheduleProblems } from './schedule';

const NY = 'America/New_York';
const at = (iso: string) => new Date(iso);
const weekdays = [1, 2, 3, 4, 5];

describe('schedule', () => {
  describe('isOpen', () => {
    const office: Schedule = { timezone: NY, windows: [{ days: weekdays, start: '09:00', end: '17:00' }] };

    it('is open inside a weekday window in the target time zone, closed outside it', () => {
      // Wednesday 2025-01-15, EST (UTC-5).
      expect(isOpen(office, at('2025-01-15T14:00:00Z'))).toBe(true); // 09:00 local
      expect(isOpen(office, at('2025-01-15T13:59:59Z'))).toBe(false); // 08:59 local
      expect(isOpen(office, at('2025-01-15T21:59:59Z'))).toBe(true); // 16:59 local
      expect(isOpen(office, at('2025-01-15T22:00:00Z'))).toBe(false); // 17:00 local: end is exclusive
      // Saturday 2025-01-18 at noon local.
      expect(isOpen(office, at('2025-01-18T17:00:00Z'))).toBe(false);
    });

    it('uses the local weekday, not the UTC one', () => {
      // Friday 2025-01-17 20:00 EST is already Saturday in UTC.
      const evenings: Schedule = { timezone: NY, windows: [{ days: [5], start: '18:00', end: '23:00' }] };
      expect(isOpen(evenings, at('2025-01-18T01:00:00Z'))).toBe(true);
      expect(isOpen(evenings, at('2025-01-19T01:00:00Z'))).toBe(false); // Saturday evening local
    });

    it('runs an overnight window into the next day, starting only on the listed days', () => {
      const nights: Schedule = { timezone: NY, windows: [{ days: [5], start: '22:00', end: '06:00' }] };
      expect(isOpen(nights, at('2025-01-18T03:30:00Z'))).toBe(true); // Fri 22:30 local
      expect(isOpen(nights, at('2025-01-18T10:59:00Z'))).toBe(true); // Sat 05:59 local
      expect(isOpen(nights, at('2025-01-18T11:00:00Z'))).toBe(false); // Sat 06:00 local
      expect(isOpen(nights, at('2025-01-19T03:30:00Z'))).toBe(false); // Sat 22:30: Saturday not listed
      expect(isOpen(nights, at('2025-01-17T10:00:00Z'))).toBe(false); // Fri 05:00: Thursday not listed
    });

    it('treats end 24:00 as midnight and start == end as 24 hours', () => {
      const late: Schedule = { timezone: 'UTC', windows: [{ days: [3], start: '20:00', end: '24:00' }] };
      expect(isOpen(late, at('2025-01-15T23:59:00Z'))).toBe(true);
      expect(isOpen(late, at('2025-01-16T00:00:00Z'))).toBe(false);
      const allDay: Schedule = { timezone: 'UTC', windows: [{ days: [3], start: '00:00', end: '00:00' }] };
      expect(isOpen(allDay, at('2025-01-15T00:00:00Z'))).toBe(true);
      expect(isOpen(allDay, at('2025-01-15T23:59:00Z'))).toBe(true);
      expect(isOpen(allDay, at('2025-01-16T00:00:00Z'))).toBe(false);
    });

    it('keeps wall-clock hours across the spring-forward change (America/New_York, 2025-03-09)', () => {
      const sunday: Schedule = { timezone: NY, windows: [{ days: [7], start: '09:00', end: '17:00' }] };
      // After the change 09:00 local is 13:00 UTC (EDT, UTC-4), not 14:00 UTC.
      expect(isOpen(sunday, at('2025-03-09T13:00:00Z'))).toBe(true);
      expect(isOpen(sunday, at('2025-03-09T12:59:00Z'))).toBe(false);
      expect(isOpen(sunday, at('2025-03-09T20:59:00Z'))).toBe(true);
      expect(isOpen(sunday, at('2025-03-09T21:00:00Z'))).toBe(false);
      // A window over the skipped hour: 01:59 EST is followed directly by 03:00 EDT.
      const early: Schedule = { timezone: NY, windows: [{ days: [7], start: '01:00', end: '02:30' }] };
      expect(isOpen(early, at('2025-03-09T06:59:00Z'))).toBe(true); // 01:59 EST
      expect(isOpen(early, at('2025-03-09T07:00:00Z'))).toBe(false); // 03:00 EDT
      // An overnight window across the change closes at 06:00 local (10:00 UTC, not 11:00).
      const nights: Schedule = { timezone: NY, windows: [{ days: [6], start: '22:00', end: '06:00' }] };
      expect(isOpen(nights, at('2025-03-09T09:59:00Z'))).toBe(true); // 05:59 EDT
      expect(isOpen(nights, at('2025-03-09T10:00:00Z'))).toBe(false); // 06:00 EDT
    });

    it('is open both times through the repeated hour at fall-back (America/New_York, 2025-11-02)', () => {
      const early: Schedule = { timezone: NY, windows: [{ days: [7], start: '01:00', end: '01:30' }] };
      expect(isOpen(early, at('2025-11-02T05:15:00Z'))).toBe(true); // 01:15 EDT
      expect(isOpen(early, at('2025-11-02T06:15:00Z'))).toBe(true); // 01:15 EST
      expect(isOpen(early, at('2025-11-02T05:45:00Z'))).toBe(false); // 01:45 EDT
      expect(isOpen(early, at('2025-11-02T06:45:00Z'))).toBe(false); // 01:45 EST
      const sunday: Schedule = { timezone: NY, windows: [{ days: [7], start: '09:00', end: '17:00' }] };
      expect(isOpen(sunday, at('2025-11-02T14:00:00Z'))).toBe(true); // 09:00 EST
      expect(isOpen(sunday, at('2025-11-02T13:00:00Z'))).toBe(false); // 08:00 EST
    });

    it('is always open without a schedule and always closed with an unknown zone', () => {
      expect(isOpen(null, at('2025-01-15T03:00:00Z'))).toBe(true);
      expect(isOpen(undefined, at('2025-01-15T03:00:00Z'))).toBe(true);
      const broken: Schedule = {
        timezone: 'Mars/Olympus_Mons',
        windows: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '00:00' }],
      };
      expect(isOpen(broken, at('2025-01-15T12:00:00Z'))).toBe(false);
    });
  });

  describe('validation', () => {
    it('knows IANA zones and rejects unknown ones', () => {
      expect(isValidTimeZone('America/New_York')).toBe(true);
      expect(isValidTimeZone('Europe/Paris')).toBe(true);
      expect(isValidTimeZone('UTC')).toBe(true);
      for (const bad of ['Mars/Olympus_Mons', 'America/Springfield', '', 'x'.repeat(100), 42, null]) {
        expect(isValidTimeZone(bad)).toBe(false);
      }
    });

    it('accepts a well-formed schedule', () => {
      expect(
        scheduleProblems({ timezone: NY, windows: [{ days: [1, 7], start: '22:00', end: '06:00' }] }),
      ).toEqual([]);
    });

    it('names each bad field', () => {
      const problems = scheduleProblems({
        timezone: 'Nowhere/Land',
        windows: [{ days: [0, 8], start: '9:00', end: '24:01', open: true }],
      });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^timezone: /),
          expect.stringMatching(/^windows\.0\.days: /),
          expect.stringMatching(/^windows\.0\.start: /),
          expect.stringMatching(/^windows\.0\.end: /),
          expect.stringMatching(/^windows\.0\.open: unknown field/),
        ]),
      );
      expect(scheduleProblems({ timezone: NY, windows: [] })).toEqual([expect.stringMatching(/^windows: /)]);
      expect(scheduleProblems('always')).toEqual(['must be an object']);
    });
  });
});
