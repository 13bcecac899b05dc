/**
 * The pipeline: runs the layers in DESIGN.md's order (gate → identity → signal → risk →
 * limit), turns a thrown layer into a handled failure (the route's `on_error`), applies
 * dry-run, and feeds outcomes back through `observe`. It stays synchronous while every layer
 * answers synchronously, so a request that only meets in-memory layers never waits for a
 * microtask.
 */

import type { Controls } from "./controls.ts";
import { ALLOW, type Decision, type LayerFailure, type Reason, type Verdict } from "./decision.ts";
import type { RequestFacts } from "./facts.ts";
import { STAGES, type Layer, type LayerContext, type LayerResult, type Outcome } from "./layer.ts";
import type { Tier } from "./signal.ts";

export type Mode = "enforce" | "dry-run";

export interface RiskThresholds {
  /** Risk at or above which the tier is `suspicious`. */
  readonly suspicious: number;
  /** Risk at or above which the request is denied (tier `blocked`). */
  readonly blocked: number;
}

export interface PipelineOptions {
  readonly layers: readonly Layer[];
  readonly controls: Controls;
  readonly mode: Mode;
  readonly risk?: RiskThresholds;
  /** Injectable clock, ms since the epoch. */
  readonly now?: () => number;
}

export interface Pipeline {
  readonly mode: Mode;
  /** Decides a request. Returns the context (with `decision` set) to hand back to `observe`. */
  evaluate(facts: RequestFacts): LayerContext | Promise<LayerContext>;
  /** Feeds the outcome to every layer's `observe`; a throwing observer is reported, not raised. */
  observe(facts: RequestFacts, ctx: LayerContext, outcome: Outcome): void;
}

const DEFAULT_RISK: RiskThresholds = { suspicious: 50, blocked: 100 };
const ERROR_STATUS = 503;

/** Builds a pipeline. Layers are ordered by stage; within a stage, as given. */
export function createPipeline(options: PipelineOptions): Pipeline & { readonly observeErrors: LayerFailure[] } {
  const stageOrder = new Map(STAGES.map((stage, i) => [stage, i]));
  const layers = [...options.layers].sort((a, b) => (stageOrder.get(a.stage) ?? 0) - (stageOrder.get(b.stage) ?? 0));
  // Index of the first layer after the signal stage: risk is computed just before it.
  const riskAt = layers.findIndex((layer) => layer.stage === "limit");
  const riskIndex = riskAt === -1 ? layers.length : riskAt;
  const observers = layers.filter((layer) => layer.observe !== undefined);
  const thresholds = options.risk ?? DEFAULT_RISK;
  const now = options.now ?? Date.now;
  const { controls, mode } = options;
  const observeErrors: LayerFailure[] = [];

  function run(facts: RequestFacts, ctx: LayerContext, from: number, failures: LayerFailure[]): LayerContext | Promise<LayerContext> {
    for (let i = from; i < layers.length; i++) {
      if (i === riskIndex) {
        const verdict = scoreRisk(ctx, thresholds);
        if (verdict) return finish(ctx, verdict, failures);
      }
      const layer = layers[i] as Layer;
      let result: LayerResult | Promise<LayerResult>;
      try {
        result = layer.evaluate(facts, ctx);
      } catch (error) {
        const verdict = fail(layer, facts, error, failures);
        if (verdict) return finish(ctx, verdict, failures);
        continue;
      }
      if (result !== undefined && typeof (result as Promise<LayerResult>).then === "function") {
        return (result as Promise<LayerResult>).then(
          (verdict) => (verdict ? finish(ctx, verdict, failures) : run(facts, ctx, i + 1, failures)),
          (error: unknown) => {
            const verdict = fail(layer, facts, error, failures);
            return verdict ? finish(ctx, verdict, failures) : run(facts, ctx, i + 1, failures);
          },
        );
      }
      // Any verdict is final, `allow` included (an allow-listed client is not overridden later).
      if (result !== undefined) return finish(ctx, result as Verdict, failures);
    }
    if (riskIndex === layers.length) {
      const verdict = scoreRisk(ctx, thresholds);
      if (verdict) return finish(ctx, verdict, failures);
    }
    return finish(ctx, undefined, failures);
  }

  function finish(ctx: LayerContext, verdict: Verdict | undefined, failures: LayerFailure[]): LayerContext {
    ctx.decision = toDecision(verdict, ctx.risk, failures, mode, ctx.responseHeaders);
    return ctx;
  }

  return {
    mode,
    observeErrors,
    evaluate(facts) {
      // Layers may record failures they handled themselves: the same list the pipeline fills.
      const failures: LayerFailure[] = [];
      const ctx: LayerContext = {
        now: now(),
        controls,
        identity: undefined,
        signals: [],
        risk: 0,
        tier: "normal",
        decision: undefined,
        memo: new Map(),
        failures,
        // Present from the start, so a layer that sets it does not change the object's shape.
        responseHeaders: undefined,
      };
      return run(facts, ctx, 0, failures);
    },
    observe(facts, ctx, outcome) {
      for (const layer of observers) {
        try {
          layer.observe?.(facts, ctx, outcome);
        } catch (error) {
          observeErrors.push({ layer: layer.name, message: messageOf(error), policy: "open" });
          if (observeErrors.length > 100) observeErrors.shift();
        }
      }
    },
  };
}

function fail(layer: Layer, facts: RequestFacts, error: unknown, failures: LayerFailure[]): Verdict | undefined {
  const policy = facts.route?.route.onError ?? "closed";
  failures.push({ layer: layer.name, message: messageOf(error), policy });
  if (policy === "open") return undefined;
  return { action: "deny", status: ERROR_STATUS, reason: { layer: layer.name, code: "layer_error" } };
}

function scoreRisk(ctx: LayerContext, thresholds: RiskThresholds): Verdict | undefined {
  if (ctx.signals.length === 0) return undefined;
  let risk = 0;
  for (const signal of ctx.signals) risk += signal.score;
  ctx.risk = risk;
  ctx.tier = tierOf(risk, thresholds);
  if (ctx.tier !== "blocked") return undefined;
  const names = ctx.signals.map((s) => `${s.layer}.${s.name}`).join(",");
  return { action: "deny", status: 403, reason: { layer: "policy", code: "risk_blocked", detail: names } };
}

export function tierOf(risk: number, thresholds: RiskThresholds): Tier {
  if (risk >= thresholds.blocked) return "blocked";
  if (risk >= thresholds.suspicious) return "suspicious";
  return risk < 0 ? "trusted" : "normal";
}

function toDecision(
  verdict: Verdict | undefined,
  risk: number,
  failures: LayerFailure[],
  mode: Mode,
  responseHeaders: Readonly<Record<string, string>> | undefined,
): Decision {
  if (verdict === undefined || verdict.action === "allow") {
    if (failures.length === 0 && risk === 0 && verdict === undefined) {
      if (responseHeaders === undefined) return ALLOW;
      // A limited route's usual answer: allowed, with its RateLimit headers and nothing else to say.
      return { action: "allow", status: ALLOW.status, reasons: ALLOW.reasons, risk, headers: responseHeaders, errors: ALLOW.errors };
    }
    const reasons = failures.map(failureReason);
    if (verdict !== undefined) reasons.unshift(verdict.reason);
    return { ...ALLOW, risk, errors: failures, reasons, headers: responseHeaders ?? ALLOW.headers };
  }
  const reasons: Reason[] = [verdict.reason];
  for (const failure of failures) if (failure.layer !== verdict.reason.layer) reasons.push(failureReason(failure));
  if (mode === "dry-run") {
    // Dry-run: log what would have happened, let the request through untouched.
    return { ...ALLOW, risk, reasons, errors: failures, headers: responseHeaders ?? ALLOW.headers, wouldHave: { action: verdict.action, status: verdict.status } };
  }
  const headers = responseHeaders === undefined ? verdict.headers ?? ALLOW.headers : { ...responseHeaders, ...verdict.headers };
  const decision: Decision = {
    action: verdict.action,
    status: verdict.status,
    reasons,
    risk,
    headers,
    errors: failures,
  };
  return verdict.holdMs === undefined ? decision : { ...decision, holdMs: verdict.holdMs };
}

function failureReason(failure: LayerFailure): Reason {
  return { layer: failure.layer, code: "layer_error", detail: failure.message };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
