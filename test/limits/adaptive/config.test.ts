/** The `adaptive` section: defaults, per-upstream bounds, errors at their paths, and examples/adaptive.yaml. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compose } from "../../../src/compose/pipeline.ts";
import { createMemoryControls } from "../../../src/store/memory/controls.ts";
import { configOf, exampleConfig, issuesOf } from "../../helpers/limits-layer-requests.ts";

const ROUTE = `
routes:
  - { path: /items, methods: [GET], upstream: api }
`;

describe("adaptive config", () => {
  it("absent or enabled: false is off; an empty section is on with the documented defaults", () => {
    assert.equal(configOf(ROUTE).adaptive, undefined);
    assert.equal(configOf(`adaptive: { enabled: false, max_in_flight: 5 }${ROUTE}`).adaptive, undefined);
    const adaptive = configOf(`adaptive: {}${ROUTE}`).adaptive;
    assert.ok(adaptive !== undefined);
    const { upstreams, ...rest } = adaptive;
    assert.deepEqual(rest, {
      targetLatencyMs: 200, maxInFlight: 100, maxEventLoopDelayMs: 100, minFactor: 0.1, maxChangePerSecond: 0.1, highWater: 0.8, lowWater: 0.5, shed: true,
    });
    assert.deepEqual([...upstreams], [["api", { targetLatencyMs: 200, maxInFlight: 100 }]]);
  });

  it("per-upstream bounds override the section's, key by key", () => {
    const adaptive = configOf(`adaptive:
  target_latency: 300ms
  max_in_flight: 50
  upstreams: { api: { max_in_flight: 8 } }
${ROUTE}`).adaptive;
    assert.deepEqual(adaptive?.upstreams.get("api"), { targetLatencyMs: 300, maxInFlight: 8 });
  });

  it("reports what it cannot work with at the path", () => {
    assert.deepEqual(issuesOf(`adaptive: { low_water: 0.9, high_water: 0.8 }${ROUTE}`), [
      "adaptive.low_water: must be below high_water (0.8): the gap between them is what stops the limits from flapping",
    ]);
    assert.deepEqual(issuesOf(`adaptive: { upstreams: { billing: { max_in_flight: 3 } } }${ROUTE}`), [
      'adaptive.upstreams.billing: unknown upstream "billing" (known: "api")',
    ]);
    assert.deepEqual(issuesOf(`adaptive: { max_event_loop_delay: 5ms }${ROUTE}`), [
      "adaptive.max_event_loop_delay: must be at least 10ms: below that the sampler's own jitter would shed healthy traffic",
    ]);
    assert.deepEqual(issuesOf(`adaptive: { target_latency: 0ms }${ROUTE}`), ["adaptive.target_latency: must be more than 0ms"]);
    // The issue's bound: the factor moves at most 10 % per second; a faster setting is refused.
    const tooFast = issuesOf(`adaptive: { max_change_per_second: 0.5 }${ROUTE}`);
    assert.equal(tooFast.length, 1);
    assert.match(tooFast[0] ?? "", /^adaptive\.max_change_per_second: /);
    assert.match(issuesOf(`adaptive: { min_factor: 0 }${ROUTE}`)[0] ?? "", /^adaptive\.min_factor: /);
    assert.match(issuesOf(`adaptive: { shedding: true }${ROUTE}`)[0] ?? "", /shedding/);
  });

  it("examples/adaptive.yaml loads and composes: both upstreams monitored with their own bounds", () => {
    const config = exampleConfig("adaptive.yaml");
    assert.deepEqual(config.adaptive?.upstreams.get("reports"), { targetLatencyMs: 2000, maxInFlight: 8 });
    assert.deepEqual(config.adaptive?.upstreams.get("api"), { targetLatencyMs: 200, maxInFlight: 40 });
    const composed = compose(config, { controls: createMemoryControls() });
    try {
      assert.deepEqual(composed.adaptive?.snapshot().map((s) => [s.upstream, s.factor]).sort(), [["api", 1], ["reports", 1]]);
    } finally {
      composed.adaptive?.close();
    }
  });
});
