/** The load signal: in-flight counting, the latency average, leak sweeping, and the real event-loop probe. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEventLoopProbe, createUpstreamSignal } from "../../../src/limits/adaptive/load-signal.ts";

describe("upstream signal", () => {
  it("counts requests in flight by identity: a request that never entered does not decrement", () => {
    const signal = createUpstreamSignal(0);
    const a = {};
    const b = {};
    signal.enter(a, 0);
    signal.enter(b, 0);
    assert.equal(signal.inFlight, 2);
    assert.equal(signal.leave(a, 10), true);
    assert.equal(signal.leave(a, 10), false);
    assert.equal(signal.leave({}, 10), false);
    assert.equal(signal.inFlight, 1);
  });

  it("reports the peak in flight of each window, then starts the next from what is still out", () => {
    const signal = createUpstreamSignal(0);
    const requests = [{}, {}, {}];
    for (const request of requests) signal.enter(request, 0);
    signal.leave(requests[0]!, 5);
    signal.leave(requests[1]!, 5);
    assert.equal(signal.fold(250).peakInFlight, 3);
    assert.equal(signal.fold(500).peakInFlight, 1);
  });

  it("averages latency over about a second: a sustained change shows within a few windows, one outlier does not dominate", () => {
    const signal = createUpstreamSignal(0);
    let t = 0;
    const window = (latencies: number[]) => {
      for (const latency of latencies) {
        const request = {};
        signal.enter(request, 0);
        signal.leave(request, latency);
      }
      t += 250;
      return signal.fold(t).latencyMs;
    };
    for (let i = 0; i < 20; i++) window([50, 50]);
    assert.ok(Math.abs(signal.latencyMs - 50) < 1, String(signal.latencyMs));
    const afterOutlier = window([50, 50, 50, 2000]);
    assert.ok(afterOutlier < 200, `one slow answer moved the average to ${afterOutlier}`);
    for (let i = 0; i < 8; i++) window([400]);
    assert.ok(signal.latencyMs > 330, `two seconds of 400 ms answers read as ${signal.latencyMs}`);
  });

  it("holds the average while requests are out and unanswered, decays it once the upstream is idle", () => {
    const signal = createUpstreamSignal(0);
    const slow = {};
    signal.enter(slow, 0);
    const done = {};
    signal.enter(done, 0);
    signal.leave(done, 800);
    let latency = signal.fold(1000).latencyMs;
    for (let t = 1250; t <= 5000; t += 250) assert.equal(signal.fold(t).latencyMs, latency, "silence is not speed");
    signal.leave(slow, undefined);
    for (let t = 5250; t <= 12_000; t += 250) latency = signal.fold(t).latencyMs;
    assert.ok(latency < 5, `an idle upstream still reads ${latency} ms`);
  });

  it("sweeps requests that entered long ago and never left", () => {
    const signal = createUpstreamSignal(0);
    signal.enter({}, 1);
    signal.enter({}, 50);
    assert.equal(signal.sweep(10), 1);
    assert.equal(signal.inFlight, 1);
  });
});

describe("event-loop probe", () => {
  it("measures a blocked loop and reads near zero when it is not", async () => {
    const probe = createEventLoopProbe();
    assert.equal(probe.sample(), 0, "nothing measured before start");
    probe.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      probe.sample();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const idle = probe.sample();
      assert.ok(idle < 30, `an idle loop read ${idle} ms`);
      await new Promise<void>((resolve) => setTimeout(() => {
        const until = performance.now() + 150;
        while (performance.now() < until);
        resolve();
      }, 20));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const blocked = probe.sample();
      assert.ok(blocked >= 100, `a 150 ms block read ${blocked} ms`);
    } finally {
      probe.stop();
    }
    assert.equal(probe.sample(), 0, "a stopped probe has nothing");
  });
});
