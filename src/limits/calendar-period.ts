/**
 * Calendar periods (day, month) in a time zone: the instant a local day or month starts and
 * ends, computed with Intl.DateTimeFormat so the zone database is the runtime's, DST included.
 */

import type { Period } from "./types.ts";

/** A local calendar date as one comparable number: yyyymmdd. */
type LocalDate = number;

const DAY_MS = 86_400_000;

/** Reads local wall-clock parts of an instant in one zone; the formatter is built once. */
function wallClock(timeZone: string): (instant: number) => { date: LocalDate; wallUtc: number } {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  return (instant) => {
    let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    for (const part of format.formatToParts(instant)) {
      switch (part.type) {
        case "year": year = Number(part.value); break;
        case "month": month = Number(part.value); break;
        case "day": day = Number(part.value); break;
        case "hour": hour = Number(part.value); break;
        case "minute": minute = Number(part.value); break;
        case "second": second = Number(part.value); break;
      }
    }
    const ms = ((instant % 1000) + 1000) % 1000;
    return {
      date: year * 10_000 + month * 100 + day,
      // The local wall-clock time read as if it were UTC: minus the instant, it is the zone's offset.
      wallUtc: Date.UTC(year, month - 1, day, hour, minute, second, ms),
    };
  };
}

function toLocalDate(utcMidnight: number): LocalDate {
  const d = new Date(utcMidnight);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * The first instant whose local date is `date` or later. Usually local midnight (two offset
 * look-ups); where midnight does not exist (a DST jump at 00:00) the day starts at the jump,
 * found by bisection.
 */
function startOfLocalDate(read: ReturnType<typeof wallClock>, date: LocalDate): number {
  const y = Math.floor(date / 10_000), m = Math.floor(date / 100) % 100, d = date % 100;
  const midnightAsUtc = Date.UTC(y, m - 1, d);
  let guess = midnightAsUtc - (read(midnightAsUtc).wallUtc - midnightAsUtc);
  guess = midnightAsUtc - (read(guess).wallUtc - guess);
  const here = read(guess);
  if (here.date === date && here.wallUtc === midnightAsUtc && read(guess - 1).date < date) return guess;
  let low = midnightAsUtc - 2 * DAY_MS, high = midnightAsUtc + 2 * DAY_MS;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (read(mid).date >= date) high = mid; else low = mid;
  }
  return high;
}

/**
 * Returns `periodAt(now)`: the local day or month containing `now` in `timeZone`. Throws a
 * RangeError for an unknown zone (at construction). The last period is cached, so the
 * formatter runs only when a period ends.
 */
export function calendarPeriods(period: "day" | "month", timeZone: string): (now: number) => Period {
  const read = wallClock(timeZone);
  let cached: Period = { start: 0, end: 0 };
  return (now) => {
    if (now >= cached.start && now < cached.end) return cached;
    const today = read(now).date;
    const y = Math.floor(today / 10_000), m = Math.floor(today / 100) % 100, d = today % 100;
    const first = period === "day" ? today : y * 10_000 + m * 100 + 1;
    const next = period === "day" ? toLocalDate(Date.UTC(y, m - 1, d + 1)) : toLocalDate(Date.UTC(y, m, 1));
    cached = Object.freeze({ start: startOfLocalDate(read, first), end: startOfLocalDate(read, next) });
    return cached;
  };
}
