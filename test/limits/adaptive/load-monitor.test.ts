/** The adaptive loop with an injected clock and event-loop probe: load → factor, pressure, Retry-After, sleeping ticker. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AdaptiveConfig } from "../../../src/config/config.ts";
import { createLoadMonitor, type EventLoopProbe, type FactorChange } from "../../../src/limits/adaptive/index.ts";

const SETTINGS: AdaptiveConfig = {
  targetLatencyMs: 200,
  maxInFlight: 10,
  maxEventLoopDelayMs: 100,
  minFactor: 0.1,
  maxChangePerSecond: 0.1,
  highWater: 0.8,
  lowWater: 0.5,
  shed: true,
  upstreams: new Map([["api", { targetLatencyMs: 200, maxInFlight: 10 }], ["slow", { targetLatencyMs: 1000, maxInFlight: 4 }]]),
};

function fakeProbe(): EventLoopProbe & { delayMs: number; running: boolean } {
  return {
    delayMs: 0,
    running: false,
    sample() {
      return this.delayMs;
    },
    start() {
      this.running = true;
    },
    stop() {
      this.running = false;
    },
  };
}

function setup(settings = SETTINGS) {
  const clock = { now: 0 };
  const probe = fakeProbe();
  const changes: FactorChange[] = [];
  const monitor = createLoadMonitor(settings, { now: () => clock.now, probe, autoTick: false, onChange: (change) => changes.push(change) });
  const tickFor = (ms: number) => {
    for (let end = clock.now + ms; clock.now < end;) {
      clock.now += 250;
      monitor.tick();
    }
  };
  return { clock, probe, changes, monitor, tickFor };
}

describe("load monitor", () => {
  it("requests in flight past high water shrink that upstream's factor at 0.1/s, and only that upstream's", () => {
    const { monitor, tickFor, changes } = setup();
    const api = monitor.upstream("api");
    const slow = monitor.upstream("slow");
    assert.equal(monitor.upstream("api"), api, "one object per upstream");
    const held = Array.from({ length: 9 }, () => ({}));
    for (const request of held) api.enter(request);
    tickFor(2000);
    assert.ok(Math.abs(api.factor - 0.8) < 1e-9, String(api.factor));
    assert.ok(Math.abs(api.load - 0.9) < 1e-9);
    assert.equal(slow.factor, 1);
    assert.deepEqual(changes.map((c) => [c.upstream, c.state]), [["api", "scaled"]]);
    for (const request of held) api.leave(request, 20);
    tickFor(2500);
    assert.equal(api.factor, 1);
    assert.deepEqual(changes.map((c) => [c.upstream, c.state]), [["api", "scaled"], ["api", "restored"]]);
  });

  it("a slow upstream (latency over target) counts as load; per-upstream bounds apply", () => {
    const { monitor, tickFor } = setup();
    const slow = monitor.upstream("slow");
    const api = monitor.upstream("api");
    for (let i = 0; i < 40; i++) {
      const request = {};
      slow.enter(request);
      slow.leave(request, 900); // under slow's 1 s target, over api's 200 ms
      const other = {};
      api.enter(other);
      api.leave(other, 900);
      tickFor(250);
    }
    assert.ok(slow.load < 0.95 && slow.load > 0.8, String(slow.load));
    assert.ok(api.load > 4, String(api.load));
    assert.equal(api.factor, 0.1);
  });

  it("a late event loop is load on every upstream and pressure for shedding", () => {
    const { monitor, probe, tickFor } = setup();
    const api = monitor.upstream("api");
    const slow = monitor.upstream("slow");
    probe.delayMs = 150;
    tickFor(250);
    assert.equal(api.pressure(), 1.5);
    assert.equal(slow.load, 1.5);
    tickFor(1000);
    assert.ok(api.factor < 1 && slow.factor < 1);
    // The delay is the worst of the last four windows (≈ the last second).
    probe.delayMs = 0;
    tickFor(750);
    assert.equal(api.pressure(), 1.5);
    tickFor(250);
    assert.equal(api.pressure(), 0);
  });

  it("pressure is in-flight over max_in_flight right now; Retry-After is the time limits need to be whole again", () => {
    const { monitor, tickFor } = setup();
    const api = monitor.upstream("api");
    const requests = Array.from({ length: 15 }, () => ({}));
    for (const request of requests) api.enter(request);
    assert.equal(api.pressure(), 1.5);
    assert.equal(api.retryAfterSeconds(), 1, "factor still 1: retry in a second");
    tickFor(3000);
    assert.ok(Math.abs(api.factor - 0.7) < 1e-9);
    assert.equal(api.retryAfterSeconds(), 3);
    tickFor(20_000);
    assert.equal(api.retryAfterSeconds(), 9);
    for (const request of requests) api.leave(request, undefined);
    assert.equal(api.pressure(), 0);
  });

  it("configure keeps factors and in-flight counts and applies new bounds", () => {
    const { monitor, tickFor } = setup();
    const api = monitor.upstream("api");
    const requests = Array.from({ length: 9 }, () => ({}));
    for (const request of requests) api.enter(request);
    tickFor(1000);
    const factor = api.factor;
    monitor.configure({ ...SETTINGS, upstreams: new Map([["api", { targetLatencyMs: 200, maxInFlight: 100 }]]) });
    assert.equal(api.factor, factor);
    assert.equal(api.inFlight, 9);
    assert.equal(api.pressure(), 0.09);
  });

  it("ticks on its own while there is traffic and sleeps (probe off, no timer) once everything is back to normal", async () => {
    const probe = fakeProbe();
    const monitor = createLoadMonitor(SETTINGS, { probe, tickMs: 5 });
    try {
      assert.equal(monitor.ticking, false);
      const api = monitor.upstream("api");
      monitor.touch();
      assert.equal(monitor.ticking, true);
      assert.equal(probe.running, true);
      const held = Array.from({ length: 10 }, () => ({}));
      for (const request of held) api.enter(request);
      const deadline = Date.now() + 5000;
      while (api.factor === 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(api.factor < 1, "the interval moved the factor");
      for (const request of held) api.leave(request, 1);
      while (monitor.ticking && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(monitor.ticking, false, "the ticker went to sleep");
      assert.equal(api.factor, 1, "…only after the factor was back to 1");
      assert.equal(probe.running, false);
      monitor.touch();
      assert.equal(monitor.ticking, true, "traffic wakes it again");
    } finally {
      monitor.close();
    }
    assert.equal(monitor.ticking, false);
  });
});
