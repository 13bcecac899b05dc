/** The pipeline: stage order, sync and async layers, failure policy, dry-run, observe, risk. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createPipeline,
  tierOf,
  type Decision,
  type Layer,
  type LayerContext,
  type Outcome,
  type PipelineOptions,
  type RequestFacts,
  type Stage,
  type Verdict,
} from "../../src/engine/index.ts";
import { createMemoryControls } from "../../src/store/memory/controls.ts";
import { makeFacts, makeRoute } from "../helpers/gate-facts.ts";

const OUTCOME: Outcome = { status: 200, durationMs: 1, upstreamMs: 1, bytesIn: 0, bytesOut: 0, aborted: false };
const DENY: Verdict = { action: "deny", status: 403, reason: { layer: "test", code: "nope" } };

const openRoute = makeRoute({ id: "open", onError: "open" });
const closedRoute = makeRoute({ id: "closed", onError: "closed" });

function pipeline(layers: Layer[], over: Partial<PipelineOptions> = {}) {
  return createPipeline({ layers, controls: createMemoryControls(), mode: "enforce", now: () => 42, ...over });
}

function layer(name: string, stage: Stage, evaluate: Layer["evaluate"], observe?: Layer["observe"]): Layer {
  return observe === undefined ? { name, stage, evaluate } : { name, stage, evaluate, observe };
}

/** Evaluates and insists on a synchronous answer. */
function decideSync(p: ReturnType<typeof pipeline>, facts: RequestFacts = makeFacts()): LayerContext {
  const result = p.evaluate(facts);
  assert.equal(result instanceof Promise, false, "expected a synchronous answer");
  return result as LayerContext;
}

async function decide(p: ReturnType<typeof pipeline>, facts: RequestFacts = makeFacts()): Promise<Decision> {
  return (await p.evaluate(facts)).decision as Decision;
}

describe("createPipeline", () => {
  it("runs layers in stage order whatever the array order", () => {
    const seen: string[] = [];
    const record = (name: string, stage: Stage) => layer(name, stage, () => void seen.push(name));
    const p = pipeline([record("limit", "limit"), record("signal", "signal"), record("gate", "gate"), record("identity", "identity"), record("gate2", "gate")]);
    decideSync(p);
    assert.deepEqual(seen, ["gate", "gate2", "identity", "signal", "limit"]);
  });

  it("answers synchronously while every layer does, with the shared ALLOW decision", () => {
    const ctx = decideSync(pipeline([layer("a", "gate", () => undefined), layer("b", "limit", () => undefined)]));
    assert.equal(ctx.decision?.action, "allow");
    assert.equal(ctx.now, 42);
    assert.ok(Object.isFrozen(ctx.decision));
  });

  it("stops at the first verdict", () => {
    let laterRan = false;
    const ctx = decideSync(pipeline([layer("deny", "gate", () => DENY), layer("later", "limit", () => void (laterRan = true))]));
    assert.equal(ctx.decision?.action, "deny");
    assert.equal(ctx.decision?.status, 403);
    assert.deepEqual(ctx.decision?.reasons, [DENY.reason]);
    assert.equal(laterRan, false);
  });

  it("waits for an async layer and continues with the next ones", async () => {
    const seen: string[] = [];
    const p = pipeline([
      layer("async", "identity", async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push("async");
        return undefined;
      }),
      layer("limit", "limit", () => {
        seen.push("limit");
        return { ...DENY, status: 429, action: "throttle", headers: { "retry-after": "1" } };
      }),
    ]);
    const result = p.evaluate(makeFacts());
    assert.ok(result instanceof Promise);
    const decision = (await result).decision as Decision;
    assert.deepEqual(seen, ["async", "limit"]);
    assert.equal(decision.action, "throttle");
    assert.equal(decision.headers["retry-after"], "1");
  });

  describe("a failing layer", () => {
    const failures: [string, Layer][] = [
      ["throwing", layer("broken", "signal", () => { throw new Error("boom"); })],
      ["rejecting", layer("broken", "signal", () => Promise.reject(new Error("boom")))],
    ];
    for (const [kind, broken] of failures) {
      it(`${kind}, on a route with on_error open: allowed, the failure recorded`, async () => {
        let nextRan = false;
        const p = pipeline([broken, layer("next", "limit", () => void (nextRan = true))]);
        const decision = await decide(p, makeFacts({ route: openRoute }));
        assert.equal(decision.action, "allow");
        assert.deepEqual(decision.errors, [{ layer: "broken", message: "boom", policy: "open" }]);
        assert.equal(decision.reasons[0]?.code, "layer_error");
        assert.equal(nextRan, true, "the layers after it still run");
      });

      it(`${kind}, on a route with on_error closed: 503 layer_error`, async () => {
        const decision = await decide(pipeline([broken]), makeFacts({ route: closedRoute }));
        assert.equal(decision.action, "deny");
        assert.equal(decision.status, 503);
        assert.deepEqual(decision.reasons[0], { layer: "broken", code: "layer_error" });
        assert.deepEqual(decision.errors, [{ layer: "broken", message: "boom", policy: "closed" }]);
      });

      it(`${kind}, with no route matched: closed (the safe default)`, async () => {
        assert.equal((await decide(pipeline([broken]))).status, 503);
      });
    }

    it("a thrown non-Error is reported by its text", () => {
      const ctx = decideSync(pipeline([layer("odd", "gate", () => { throw "plain string"; })]), makeFacts({ route: openRoute }));
      assert.equal(ctx.decision?.errors[0]?.message, "plain string");
    });
  });

  describe("dry-run", () => {
    it("turns a deny into allow and keeps what would have happened", () => {
      const ctx = decideSync(pipeline([layer("deny", "gate", () => DENY)], { mode: "dry-run" }));
      assert.equal(ctx.decision?.action, "allow");
      assert.deepEqual(ctx.decision?.wouldHave, { action: "deny", status: 403 });
      assert.deepEqual(ctx.decision?.reasons, [DENY.reason]);
    });

    it("leaves an allowed request without wouldHave", () => {
      const ctx = decideSync(pipeline([layer("ok", "gate", () => undefined)], { mode: "dry-run" }));
      assert.equal(ctx.decision?.wouldHave, undefined);
    });
  });

  describe("observe", () => {
    it("feeds the outcome to every observer; a throwing observer is recorded, not raised", () => {
      const seen: number[] = [];
      const p = pipeline([
        layer("bad", "gate", () => undefined, () => { throw new Error("observer broke"); }),
        layer("good", "limit", () => undefined, (_facts, ctx, outcome) => void seen.push(outcome.status, ctx.decision === undefined ? 0 : 1)),
      ]);
      const facts = makeFacts();
      const ctx = decideSync(p, facts);
      assert.doesNotThrow(() => p.observe(facts, ctx, OUTCOME));
      assert.deepEqual(seen, [200, 1]);
      assert.deepEqual(p.observeErrors, [{ layer: "bad", message: "observer broke", policy: "open" }]);
    });
  });

  describe("risk", () => {
    const signal = (score: number) => layer(`signal${score}`, "signal", (_facts, ctx) => void ctx.signals.push({ layer: "intel", name: `s${score}`, score }));

    it("sums signal scores into a tier before the limit stage", () => {
      const tiers: string[] = [];
      const limit = layer("limit", "limit", (_facts, ctx) => void tiers.push(`${ctx.risk}:${ctx.tier}`));
      decideSync(pipeline([limit, signal(30), signal(25)]));
      decideSync(pipeline([limit, signal(-10)]));
      decideSync(pipeline([limit, signal(10)]));
      assert.deepEqual(tiers, ["55:suspicious", "-10:trusted", "10:normal"]);
    });

    it("denies the blocked tier with 403 risk_blocked, naming the signals", () => {
      let limitRan = false;
      const ctx = decideSync(pipeline([signal(60), signal(40), layer("limit", "limit", () => void (limitRan = true))]));
      assert.equal(ctx.decision?.status, 403);
      assert.equal(ctx.decision?.reasons[0]?.code, "risk_blocked");
      assert.equal(ctx.decision?.reasons[0]?.detail, "intel.s60,intel.s40");
      assert.equal(ctx.decision?.risk, 100);
      assert.equal(ctx.tier, "blocked");
      assert.equal(limitRan, false);
    });

    it("scores risk at the end when there is no limit layer, with the configured thresholds", () => {
      const ctx = decideSync(pipeline([signal(20)], { risk: { suspicious: 10, blocked: 20 } }));
      assert.equal(ctx.decision?.reasons[0]?.code, "risk_blocked");
    });

    it("tierOf draws the lines at the thresholds", () => {
      const thresholds = { suspicious: 50, blocked: 100 };
      assert.equal(tierOf(-1, thresholds), "trusted");
      assert.equal(tierOf(0, thresholds), "normal");
      assert.equal(tierOf(49, thresholds), "normal");
      assert.equal(tierOf(50, thresholds), "suspicious");
      assert.equal(tierOf(100, thresholds), "blocked");
    });
  });
});
