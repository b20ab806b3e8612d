// Hours of operation: weekly windows in wall-clock time of an IANA time zone. Used when a target is
// saved (validation) and on every call (isOpen), so the same rules decide both.
//
// Semantics:
// - `days` are ISO weekdays (1 = Monday … 7 = Sunday) on which a window *starts*.
// - `start`/`end` are local wall-clock times "HH:mm"; `end` may be "24:00".
// - end > start: open on that day from start (inclusive) to end (exclusive).
// - end <= start: the window runs overnight into the next day (22:00–06:00 opens Friday 22:00 and closes
//   Saturday 06:00); end == start means 24 hours from start.
// - Wall-clock semantics across DST: 09:00–17:00 means 09:00–17:00 local on the day, whatever the UTC offset.
//   On spring-forward the skipped hour never happens; on fall-back the repeated hour is open both times
//   when it lies inside a window.
// - A null schedule is always open; an unknown zone is always closed (fail closed on the call path).
import { ValidationOptions, registerDecorator } from 'class-validator';
import { DateTime, IANAZone } from 'luxon';

export interface ScheduleWindow {
  /** ISO weekdays on which the window starts, 1 = Monday … 7 = Sunday. */
  days: number[];
  /** "HH:mm", local wall-clock time. */
  start: string;
  /** "HH:mm" or "24:00"; at or before start means the window ends the next day. */
  end: string;
}

export interface Schedule {
  /** IANA zone name, e.g. "America/New_York". */
  timezone: string;
  windows: ScheduleWindow[];
}

export const SCHEDULE_MAX_WINDOWS = 50;
export const SCHEDULE_START = /^([01]\d|2[0-3]):[0-5]\d$/;
export const SCHEDULE_END = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** True for a time zone luxon (and so isOpen) understands: IANA names such as "Europe/Paris" or "UTC". */
export function isValidTimeZone(zone: unknown): zone is string {
  return typeof zone === 'string' && zone.length > 0 && zone.length <= 64 && IANAZone.isValidZone(zone);
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * Problems with a schedule from an untrusted source, each prefixed with its field path relative to the
 * schedule ("timezone: …", "windows.0.days: …"); empty when valid. For callers that do not go through a DTO.
 */
export function scheduleProblems(input: unknown): string[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return ['must be an object'];
  const s = input as Record<string, unknown>;
  const out: string[] = [];
  for (const key of Object.keys(s)) {
    if (key !== 'timezone' && key !== 'windows') out.push(`${key}: unknown field`);
  }
  if (!isValidTimeZone(s.timezone)) out.push('timezone: must be an IANA time zone such as America/New_York');
  if (!Array.isArray(s.windows) || s.windows.length === 0 || s.windows.length > SCHEDULE_MAX_WINDOWS) {
    out.push(`windows: must be an array of 1 to ${SCHEDULE_MAX_WINDOWS} windows`);
    return out;
  }
  s.windows.forEach((w: unknown, i) => {
    const at = `windows.${i}`;
    if (w === null || typeof w !== 'object' || Array.isArray(w)) {
      out.push(`${at}: must be an object`);
      return;
    }
    const win = w as Record<string, unknown>;
    for (const key of Object.keys(win)) {
      if (key !== 'days' && key !== 'start' && key !== 'end') out.push(`${at}.${key}: unknown field`);
    }
    const days = win.days;
    if (
      !Array.isArray(days) ||
      days.length === 0 ||
      days.length > 7 ||
      !days.every((d) => Number.isInteger(d) && (d as number) >= 1 && (d as number) <= 7) ||
      new Set(days).size !== days.length
    ) {
      out.push(`${at}.days: must be 1 to 7 distinct ISO weekdays (1 = Monday … 7 = Sunday)`);
    }
    if (typeof win.start !== 'string' || !SCHEDULE_START.test(win.start)) {
      out.push(`${at}.start: must be a time HH:mm`);
    }
    if (typeof win.end !== 'string' || !SCHEDULE_END.test(win.end)) {
      out.push(`${at}.end: must be a time HH:mm (or 24:00)`);
    }
  });
  return out;
}

/** Whether the schedule is open at the instant `at`. Null/undefined = always open. */
export function isOpen(schedule: Schedule | null | undefined, at: Date): boolean {
  if (!schedule) return true;
  const local = DateTime.fromJSDate(at, { zone: schedule.timezone });
  if (!local.isValid) return false;
  const now = local.hour * 60 + local.minute;
  const today = local.weekday;
  const yesterday = today === 1 ? 7 : today - 1;
  for (const w of schedule.windows) {
    const start = minutes(w.start);
    const end = minutes(w.end);
    if (start < end) {
      if (w.days.includes(today) && now >= start && now < end) return true;
    } else {
      if (w.days.includes(today) && now >= start) return true;
      if (w.days.includes(yesterday) && now < end) return true;
    }
  }
  return false;
}

/** class-validator decorator: the value is an IANA time zone that isOpen understands. */
export function IsIanaTimeZone(options?: ValidationOptions): PropertyDecorator {
  return (object, propertyName) =>
    registerDecorator({
      name: 'isIanaTimeZone',
      target: object.constructor,
      propertyName: propertyName as string,
      options: {
        message: (a) =>
          `${a.property} must be an IANA time zone such as America/New_York (got ${JSON.stringify(String(a.value).slice(0, 64))})`,
        ...options,
      },
      validator: { validate: (value: unknown) => isValidTimeZone(value) },
    });
}
