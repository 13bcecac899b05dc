/** Calendar periods in time zones: DST days of 23 and 25 hours, half-hour zones, a midnight that does not exist. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { calendarPeriods } from "../../src/limits/calendar-period.ts";

const HOUR = 3_600_000;

function localDate(instant: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(instant);
}

describe("calendar periods", () => {
  it("UTC days and months", () => {
    const day = calendarPeriods("day", "UTC")(Date.parse("2026-03-10T13:00:00Z"));
    assert.deepEqual(day, { start: Date.parse("2026-03-10T00:00:00Z"), end: Date.parse("2026-03-11T00:00:00Z") });
    const month = calendarPeriods("month", "UTC")(Date.parse("2026-12-31T23:59:59Z"));
    assert.deepEqual(month, { start: Date.parse("2026-12-01T00:00:00Z"), end: Date.parse("2027-01-01T00:00:00Z") });
  });

  it("a DST spring day lasts 23 hours and an autumn day 25 (Europe/Paris)", () => {
    const periodAt = calendarPeriods("day", "Europe/Paris");
    const spring = periodAt(Date.parse("2026-03-29T12:00:00Z"));
    assert.equal(spring.start, Date.parse("2026-03-28T23:00:00Z"));
    assert.equal(spring.end - spring.start, 23 * HOUR);
    const autumn = periodAt(Date.parse("2026-10-25T12:00:00Z"));
    assert.equal(autumn.start, Date.parse("2026-10-24T22:00:00Z"));
    assert.equal(autumn.end - autumn.start, 25 * HOUR);
  });

  it("half-hour offsets (Asia/Kolkata) and a month in New York", () => {
    assert.equal(calendarPeriods("day", "Asia/Kolkata")(Date.parse("2026-05-01T20:00:00Z")).start, Date.parse("2026-05-01T18:30:00Z"));
    const ny = calendarPeriods("month", "America/New_York")(Date.parse("2026-03-15T00:00:00Z"));
    assert.deepEqual(ny, { start: Date.parse("2026-03-01T05:00:00Z"), end: Date.parse("2026-04-01T04:00:00Z") });
  });

  it("a day whose midnight does not exist starts at the DST jump (America/Santiago)", () => {
    const period = calendarPeriods("day", "America/Santiago")(Date.parse("2026-09-06T12:00:00Z"));
    assert.equal(period.start, Date.parse("2026-09-06T04:00:00Z"));
    assert.equal(localDate(period.start, "America/Santiago"), "2026-09-06");
    assert.equal(localDate(period.start - 1, "America/Santiago"), "2026-09-05");
  });

  it("property: the period holds the instant, starts on its local date and ends where the next one starts", () => {
    const zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham"];
    fc.assert(fc.property(fc.constantFrom(...zones), fc.constantFrom("day" as const, "month" as const),
      fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2035-01-01T00:00:00Z") }),
      (zone, kind, instant) => {
        const periodAt = calendarPeriods(kind, zone);
        const period = periodAt(instant);
        assert.ok(period.start <= instant && instant < period.end);
        const first = localDate(period.start, zone);
        assert.notEqual(localDate(period.start - 1, zone), first, "nothing of the same day or month before start");
        if (kind === "day") assert.equal(first, localDate(instant, zone));
        else assert.equal(first.slice(0, 7), localDate(instant, zone).slice(0, 7));
        assert.equal(periodAt(period.end).start, period.end);
        const length = (period.end - period.start) / HOUR;
        if (kind === "day") assert.ok(length >= 23 && length <= 25, `${length} h`);
      }), { numRuns: 300 });
  });
});
