/**
 * The shedding layer and the load factor on the rate-limit layer, through compose and the
 * pipeline: suspicious shed before normal, trusted never; shrunk limits for normal and
 * suspicious clients only; what observe feeds back.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compose } from "../../../src/compose/pipeline.ts";
import type { Config } from "../../../src/config/config.ts";
import { createPipeline, createRouter, type Layer, type LayerContext, type Pipeline, type RequestFacts } from "../../../src/engine/index.ts";
import { adaptiveLimits, createLoadMonitor, SHED_LAYER, type EventLoopProbe, type LoadMonitor } from "../../../src/limits/adaptive/index.ts";
import { rateLimitLayer } from "../../../src/limits/layer/index.ts";
import { createMemoryControls } from "../../../src/store/memory/controls.ts";
import { createMemoryLimitStore } from "../../../src/store/memory/limit-store.ts";
import { configOf, decideSync, outcome, request } from "../../helpers/limits-layer-requests.ts";

const START = 1_700_000_040_000;

const YAML = `
adaptive:
  max_in_flight: 50
  upstreams: { api: { max_in_flight: 10 } }
rate_limits:
  allow:
    - { name: office, cidrs: [198.51.100.0/24] }
    - { name: partner_login_only, cidrs: [192.0.2.0/24], limits: [per_ip] }
routes:
  - path: /items
    methods: [GET]
    upstream: api
    rate_limits:
      - { name: per_ip, algorithm: fixed_window, limit: 100, window: 1m, key: [ip] }
      - { name: daily, algorithm: quota, limit: 1000, per: day, key: [ip] }
`;

/** A stand-in for later risk layers: `x-risk` becomes a signal score, so tests pick the tier. */
const riskFromHeader: Layer = {
  name: "test_risk",
  stage: "signal",
  evaluate(facts, ctx) {
    const score = Number(facts.headers["x-risk"] ?? 0);
    if (score !== 0) ctx.signals.push({ layer: "test_risk", name: "header", score });
    return undefined;
  },
};

const quietProbe: EventLoopProbe = { sample: () => 0, start() {}, stop() {} };

interface Setup {
  readonly config: Config;
  readonly monitor: LoadMonitor;
  readonly pipeline: Pipeline;
  readonly facts: (ip: string, risk?: number) => RequestFacts;
  /** Moves the monitor's clock in 250 ms ticks. */
  readonly advance: (ms: number) => void;
}

/** The adaptive parts and the rate-limit layer wired as compose does, plus a risk layer. */
function setup(yaml = YAML): Setup {
  const config = configOf(yaml);
  const clock = { mono: 0 };
  const monitor = createLoadMonitor(config.adaptive!, { now: () => clock.mono, probe: quietProbe, autoTick: false });
  const adaptive = adaptiveLimits(config, monitor)!;
  const rateLimits = rateLimitLayer(config.rateLimits!, { store: createMemoryLimitStore(), fallback: createMemoryLimitStore(), now: () => START, loadFactor: adaptive.loadFactor });
  const controls = createMemoryControls({ now: () => START });
  const pipeline = createPipeline({ layers: [riskFromHeader, adaptive.layer, rateLimits], controls, mode: config.mode, risk: config.risk, now: () => START });
  const router = createRouter(config.routes);
  return {
    config,
    monitor,
    pipeline,
    facts: (ip, risk = 0) => request(router, { path: "/items", ip, ...(risk === 0 ? {} : { headers: { "x-risk": String(risk) } }) }),
    advance(ms) {
      for (let t = 0; t < ms; t += 250) {
        clock.mono += 250;
        monitor.tick();
      }
    },
  };
}

/** Occupies `n` upstream slots of `api`, as requests stuck upstream would. */
function occupy(monitor: LoadMonitor, n: number): object[] {
  const held = Array.from({ length: n }, () => ({}));
  for (const request of held) monitor.upstream("api").enter(request);
  return held;
}

const NORMAL = "203.0.113.7";
const OFFICE = "198.51.100.20";
const PARTNER = "192.0.2.9";

describe("shedding", () => {
  it("below half capacity nobody is shed", () => {
    const { monitor, pipeline, facts } = setup();
    occupy(monitor, 4);
    assert.equal(decideSync(pipeline, facts(NORMAL, 60)).decision.action, "allow", "suspicious");
    assert.equal(decideSync(pipeline, facts(NORMAL)).decision.action, "allow", "normal");
  });

  it("from half capacity suspicious clients get 503 with Retry-After; normal and trusted ones pass", () => {
    const { monitor, pipeline, facts } = setup();
    occupy(monitor, 5);
    const suspicious = decideSync(pipeline, facts(NORMAL, 60)).decision;
    assert.deepEqual([suspicious.action, suspicious.status], ["deny", 503]);
    assert.equal(suspicious.headers["retry-after"], "1");
    assert.deepEqual(suspicious.reasons.map((r) => [r.layer, r.code]), [[SHED_LAYER, "overloaded"]]);
    assert.match(suspicious.reasons[0]?.detail ?? "", /^suspicious client shed: upstream api/);
    assert.equal(decideSync(pipeline, facts(NORMAL)).decision.action, "allow");
    assert.equal(decideSync(pipeline, facts(NORMAL, -10)).decision.action, "allow");
  });

  it("at capacity normal clients are shed too; trusted ones (risk tier or allow-list for every limit) never are", () => {
    const { monitor, pipeline, facts } = setup();
    occupy(monitor, 10);
    const normal = decideSync(pipeline, facts(NORMAL)).decision;
    assert.deepEqual([normal.action, normal.status, normal.headers["retry-after"]], ["deny", 503, "1"]);
    assert.equal(decideSync(pipeline, facts(NORMAL, 60)).decision.status, 503);
    occupy(monitor, 100);
    assert.equal(decideSync(pipeline, facts(NORMAL, -10)).decision.action, "allow", "trusted by risk");
    const office = decideSync(pipeline, facts(OFFICE)).decision;
    assert.equal(office.action, "allow", "allow-listed for every limit");
    assert.deepEqual(office.reasons.map((r) => r.code), ["allow_listed"]);
    // An allow-list entry naming only some limits is not a blanket exemption.
    assert.equal(decideSync(pipeline, facts(PARTNER)).decision.status, 503);
  });

  it("every admitted request is in flight to its upstream until observe; observe feeds the upstream's latency", () => {
    const { monitor, pipeline, facts } = setup();
    const api = monitor.upstream("api");
    const contexts: LayerContext[] = [];
    for (let i = 0; i < 10; i++) contexts.push(decideSync(pipeline, facts(NORMAL)).ctx);
    assert.equal(api.inFlight, 10);
    assert.equal(decideSync(pipeline, facts(NORMAL)).decision.status, 503, "the 11th meets a full upstream");
    for (const ctx of contexts) pipeline.observe(facts(NORMAL), ctx, { ...outcome(200), upstreamMs: 400 });
    assert.equal(api.inFlight, 0);
    monitor.tick();
    assert.ok(api.load > 0, "the answers' latency reached the signal");
    // A shed request never entered: observing it changes nothing.
    occupy(monitor, 10);
    const shed = decideSync(pipeline, facts(NORMAL));
    pipeline.observe(facts(NORMAL), shed.ctx, outcome(503));
    assert.equal(api.inFlight, 10);
  });

  it("a shed request costs no rate-limit admission (shedding runs first in the limit stage)", () => {
    const config = configOf(YAML.replace("limit: 100, window", "limit: 1, window"));
    const composed = compose(config, { controls: createMemoryControls({ now: () => START }), now: () => START });
    const monitor = composed.adaptive;
    assert.ok(monitor !== undefined);
    try {
      const api = monitor.upstream("api");
      const held = Array.from({ length: 10 }, () => ({}));
      for (const r of held) api.enter(r);
      const facts = request(composed.router, { path: "/items", ip: NORMAL });
      assert.equal(decideSync(composed.pipeline, facts).decision.status, 503);
      for (const r of held) api.leave(r, undefined);
      assert.equal(decideSync(composed.pipeline, facts).decision.action, "allow", "the limit of 1 was not spent by the shed request");
      assert.equal(decideSync(composed.pipeline, facts).decision.status, 429);
    } finally {
      monitor.close();
    }
  });

  it("dry-run: the shed is only logged (wouldHave 503) and the request still counts in flight", () => {
    const { monitor, pipeline, facts } = setup(`mode: dry-run\n${YAML}`);
    occupy(monitor, 10);
    const { ctx, decision } = decideSync(pipeline, facts(NORMAL));
    assert.equal(decision.action, "allow");
    assert.deepEqual(decision.wouldHave, { action: "deny", status: 503 });
    assert.equal(monitor.upstream("api").inFlight, 11);
    pipeline.observe(facts(NORMAL), ctx, outcome(200));
    assert.equal(monitor.upstream("api").inFlight, 10);
  });

  it("shed: false measures and scales limits but never sheds", () => {
    const { monitor, pipeline, facts } = setup(YAML.replace("adaptive:\n", "adaptive:\n  shed: false\n"));
    occupy(monitor, 50);
    assert.equal(decideSync(pipeline, facts(NORMAL, 60)).decision.action, "allow");
  });
});

describe("limits under load", () => {
  const MEASURE_ONLY = YAML.replace("adaptive:\n", "adaptive:\n  shed: false\n");

  it("the load factor shrinks normal and suspicious limits (RateLimit-Policy shows it), never trusted ones, never quotas", () => {
    const { monitor, pipeline, facts, advance } = setup(MEASURE_ONLY);
    const policy = (ip: string, risk = 0) => decideSync(pipeline, facts(ip, risk)).decision.headers["ratelimit-policy"];
    assert.equal(policy(NORMAL), '"per_ip";q=100;w=60, "daily";q=1000;w=86400');
    driveDown(monitor, advance);
    assert.ok(Math.abs(monitor.upstream("api").factor - 0.5) < 1e-9, String(monitor.upstream("api").factor));
    assert.equal(policy(NORMAL), '"per_ip";q=50;w=60, "daily";q=1000;w=86400');
    assert.equal(policy(NORMAL, 60), '"per_ip";q=25;w=60, "daily";q=500;w=86400', "suspicious: tier 0.5 × load 0.5; the quota by its tier only");
    assert.equal(policy(NORMAL, -10), '"per_ip";q=200;w=60, "daily";q=2000;w=86400', "trusted: tier 2, never scaled down");
  });

  it("the shrunk limit is enforced: 50 of 100 at factor 0.5, the other 50 once the factor is back to 1", () => {
    const { monitor, pipeline, facts, advance } = setup(MEASURE_ONLY);
    const pinned = driveDown(monitor, advance);
    const admitted = () => {
      let n = 0;
      for (let i = 0; i < 200; i++) {
        const { ctx, decision } = decideSync(pipeline, facts("203.0.113.50"));
        if (decision.action === "allow") n++;
        pipeline.observe(facts("203.0.113.50"), ctx, outcome(200));
      }
      return n;
    };
    assert.equal(admitted(), 50);
    for (const request of pinned) monitor.upstream("api").leave(request, undefined);
    advance(6000);
    assert.equal(monitor.upstream("api").factor, 1);
    assert.equal(admitted(), 50, "the same window: 100 in all now that the limit is whole");
  });
});

/**
 * Moves the api factor from 1 to 0.5: 90 % of max_in_flight for 5 s of injected time. Leaves
 * 6 requests in flight (load between the water marks, so it holds) and returns them.
 */
function driveDown(monitor: LoadMonitor, advance: (ms: number) => void): object[] {
  const api = monitor.upstream("api");
  const held = occupy(monitor, 9);
  advance(5000);
  for (const request of held) api.leave(request, undefined);
  return occupy(monitor, 6);
}
