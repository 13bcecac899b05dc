/**
 * The shedding layer: past capacity it answers 503 with Retry-After to the lowest tiers first
 * — suspicious clients from half the capacity, normal ones at capacity — and never to trusted
 * ones, so the clients that matter keep being served while a flood is turned away cheaply,
 * before it costs a rate-limit admission or an upstream slot. It also feeds the load signal:
 * every request it lets through is in flight to its upstream until observe sees it end.
 */
import type { AllowRule } from "../../config/config.ts";
import type { Layer, LayerContext, LayerResult, Outcome, RequestFacts, Verdict } from "../../engine/index.ts";
import { matchAllow } from "../layer/allow.ts";
import { RETRY_AFTER } from "../layer/ratelimit-headers.ts";
import type { LoadMonitor, UpstreamLoad } from "./load-monitor.ts";

export const SHED_LAYER = "shed";

/**
 * Share of capacity from which suspicious clients are shed. Normal clients keep the other half
 * of the headroom to themselves: when the flood is suspicious, normal users never see a 503.
 */
export const SUSPICIOUS_SHARE = 0.5;

export interface ShedOptions {
  readonly monitor: LoadMonitor;
  /** The upstream each route id forwards to. */
  readonly routeUpstreams: ReadonlyMap<string, string>;
  /** Where requests that match no route go (strict_routes: false), if anywhere. */
  readonly defaultUpstream: string | undefined;
  /**
   * The rate-limit allow-list. A client on an entry that bypasses every limit (no `limits`) is
   * trusted here too: whoever the operator exempted from all limits must not be shed either.
   * An entry that bypasses only some limits (a partner on one route) does not exempt it.
   */
  readonly allow: readonly AllowRule[];
  /** False: only measure (the limits still scale), never shed. */
  readonly shed: boolean;
  /**
   * Dry-run: a shed verdict only reaches the log and the request goes on upstream, so it is
   * counted in flight like any other — the log then shows what enforcement would have shed.
   */
  readonly dryRun?: boolean;
}

type ShedTier = "normal" | "suspicious";

/** One upstream as the layer sees it: its load and its prepared answers. */
interface Target {
  readonly load: UpstreamLoad;
  /** Verdicts by tier and Retry-After seconds, made on first use (at most 2 × 60 per upstream). */
  readonly verdicts: Record<ShedTier, Verdict[]>;
}

/** Builds the shedding layer; runs in the `limit` stage, before the rate-limit layer. */
export function shedLayer(options: ShedOptions): Layer {
  const { monitor, allow, shed } = options;
  const dryRun = options.dryRun === true;
  const targets = new Map<string, Target>();
  const targetOf = (upstream: string): Target => {
    let target = targets.get(upstream);
    if (target === undefined) {
      target = { load: monitor.upstream(upstream), verdicts: { normal: [], suspicious: [] } };
      targets.set(upstream, target);
    }
    return target;
  };
  const byRoute = new Map<string, Target>();
  for (const [routeId, upstream] of options.routeUpstreams) byRoute.set(routeId, targetOf(upstream));
  const fallback = options.defaultUpstream === undefined ? undefined : targetOf(options.defaultUpstream);
  const find = (facts: RequestFacts): Target | undefined => (facts.route === undefined ? fallback : byRoute.get(facts.route.route.id));

  /** Trusted by risk (tier) or by the operator (an allow-list entry for every limit). */
  function trusted(facts: RequestFacts, ctx: LayerContext): boolean {
    if (ctx.tier === "trusted") return true;
    if (allow.length === 0) return false;
    const bypass = matchAllow(allow, facts.clientIp, ctx.identity?.keyId);
    return bypass !== undefined && bypass.limits === undefined;
  }

  function evaluate(facts: RequestFacts, ctx: LayerContext): LayerResult {
    const target = find(facts);
    if (target === undefined) return undefined;
    monitor.touch();
    if (shed) {
      const tier: ShedTier = ctx.tier === "suspicious" ? "suspicious" : "normal";
      const pressure = target.load.pressure();
      // The allow-list is only consulted past a threshold: the common case costs one division.
      if (pressure >= (tier === "suspicious" ? SUSPICIOUS_SHARE : 1) && !trusted(facts, ctx)) {
        if (dryRun) target.load.enter(ctx);
        return verdict(target, tier);
      }
    }
    target.load.enter(ctx);
    return undefined;
  }

  function observe(facts: RequestFacts, ctx: LayerContext, outcome: Outcome): void {
    const target = find(facts);
    if (target === undefined) return;
    target.load.leave(ctx, latencyOf(ctx, outcome));
  }

  return { name: SHED_LAYER, stage: "limit", evaluate, observe };
}

/**
 * What the request says about the upstream's latency: the time to its response headers, or,
 * when forwarding failed (502/503/504 on an allowed request, no upstream time), the time spent
 * trying — a backend that times out is the slowest of all, not an absent one.
 */
function latencyOf(ctx: LayerContext, outcome: Outcome): number | undefined {
  if (outcome.upstreamMs !== undefined) return outcome.upstreamMs;
  if (ctx.decision?.action === "allow" && outcome.status >= 502 && outcome.status <= 504) return outcome.durationMs;
  return undefined;
}

function verdict(target: Target, tier: ShedTier): Verdict {
  // Retry-After: when the limits could be whole again at the allowed rate of change.
  const seconds = target.load.retryAfterSeconds();
  const cached = target.verdicts[tier][seconds];
  if (cached !== undefined) return cached;
  const made: Verdict = Object.freeze({
    action: "deny",
    status: 503,
    reason: Object.freeze({ layer: SHED_LAYER, code: "overloaded", detail: `${tier} client shed: upstream ${target.load.name} or the gateway is at capacity` }),
    headers: Object.freeze({ [RETRY_AFTER]: String(seconds) }),
  });
  target.verdicts[tier][seconds] = made;
  return made;
}
