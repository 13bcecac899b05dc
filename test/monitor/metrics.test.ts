import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { createGatewayMetrics, decisionQuantile, DECISION_BUCKETS, NO_ROUTE_LABEL, quantileFromBuckets } from "../../src/monitor/metrics.ts";

describe("createGatewayMetrics", () => {
  it("exposes the decision histogram with microsecond buckets from 5e-06 (0.000005) to 0.05", async () => {
    const metrics = createGatewayMetrics({ processMetrics: false });
    metrics.decisionTook(0.000003);
    const text = await metrics.registry.metrics();
    assert.match(text, /^# TYPE rampart_decision_latency_seconds histogram$/m);
    assert.match(text, /^rampart_decision_latency_seconds_bucket\{le="0.000005"\} 1$/m);
    assert.match(text, /^rampart_decision_latency_seconds_bucket\{le="0.05"\} 1$/m);
    assert.match(text, /^rampart_decision_latency_seconds_count 1$/m);
    assert.equal(DECISION_BUCKETS[0], 5e-6);
    assert.equal(DECISION_BUCKETS.at(-1), 0.05);
  });

  it("counts a finished request by route, action and status and tracks in-flight", async () => {
    const metrics = createGatewayMetrics({ processMetrics: false });
    metrics.requestStarted();
    metrics.requestStarted();
    let text = await metrics.registry.metrics();
    assert.match(text, /^rampart_requests_in_flight 2$/m);
    metrics.requestFinished("users", "allow", 200, 12);
    metrics.requestFinished(NO_ROUTE_LABEL, "deny", 404, undefined);
    metrics.requestStarted();
    metrics.requestStarted();
    metrics.requestFinished("users", "allow", 200, 30);
    text = await metrics.registry.metrics();
    assert.match(text, /^rampart_requests_total\{route="users",action="allow",status="200"\} 2$/m);
    assert.match(text, /^rampart_requests_total\{route="<none>",action="deny",status="404"\} 1$/m);
    assert.match(text, /^rampart_requests_in_flight 1$/m);
    assert.match(text, /^rampart_upstream_latency_seconds_bucket\{le="0.025",route="users"\} 1$/m);
    assert.match(text, /^rampart_upstream_latency_seconds_count\{route="users"\} 2$/m);
    assert.doesNotMatch(text, /rampart_upstream_latency_seconds_count\{route="<none>"\}/);
  });

  it("keeps each gateway's metrics in its own registry, with process metrics", async () => {
    const first = createGatewayMetrics();
    const second = createGatewayMetrics();
    assert.notEqual(first.registry, second.registry);
    first.requestStarted();
    first.requestFinished("a", "allow", 200, 1);
    const text = await second.registry.metrics();
    assert.doesNotMatch(text, /rampart_requests_total\{/);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(await first.registry.metrics(), /^rampart_requests_total\{route="a",action="allow",status="200"\} 1$/m);
  });
});

describe("decision quantiles", () => {
  it("interpolates inside the bucket that holds the rank", () => {
    const buckets = [
      { le: 1, count: 10 },
      { le: 2, count: 30 },
      { le: 4, count: 40 },
    ];
    assert.equal(quantileFromBuckets(buckets, 40, 0.25), 1);
    assert.equal(quantileFromBuckets(buckets, 40, 0.5), 1.5);
    assert.equal(quantileFromBuckets(buckets, 40, 1), 4);
    assert.equal(quantileFromBuckets(buckets, 0, 0.5), undefined);
    // Observations above the last finite bucket: the estimate stops at that bound, as Prometheus does.
    assert.equal(quantileFromBuckets(buckets, 50, 0.99), 4);
    assert.throws(() => quantileFromBuckets(buckets, 40, 1.5), RangeError);
  });

  it("estimates p50 and p99 from the decision histogram of the metrics or of their registry", async () => {
    const metrics = createGatewayMetrics({ processMetrics: false });
    assert.equal(await decisionQuantile(metrics, 0.99), undefined);
    for (let i = 0; i < 98; i++) metrics.decisionTook(0.000007); // (5 µs, 10 µs]
    metrics.decisionTook(0.0002); // (100 µs, 250 µs]
    metrics.decisionTook(0.0002);
    const p50 = await decisionQuantile(metrics, 0.5);
    const p99 = await decisionQuantile(metrics.registry, 0.99);
    assert.ok(p50 !== undefined && p50 > 5e-6 && p50 <= 1e-5, `p50 ${p50}`);
    assert.ok(p99 !== undefined && p99 > 1e-4 && p99 <= 2.5e-4, `p99 ${p99}`);
    assert.equal(await decisionQuantile(new Registry(), 0.5), undefined);
  });
});
