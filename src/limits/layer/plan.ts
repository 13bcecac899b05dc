/**
 * Per-route plans of the rate-limit layer, prepared at construction: each limit with its
 * counter-key prefix, its spec and RateLimit-Policy item per tier, and how it is charged.
 * The hot path reads only these.
 */
import type { RateLimitConfig, RateLimitRule } from "../../config/config.ts";
import type { LimitSpec } from "../types.ts";
import { policyItem } from "./ratelimit-headers.ts";
import { loadScaling, tierSpecs, type LimitTier, type TierFactors, type TierLimit, type TierSpecs } from "./tiers.ts";

/** One limit, ready for requests. */
export interface PreparedRule {
  readonly rule: RateLimitRule;
  /**
   * Counter-key prefix: `r:ROUTE:NAME:` for a route's limit, `p:PLAN:NAME:` for a plan's (shared
   * by every route of the same limit group). Names cannot contain `:`, so prefixes never collide.
   */
  readonly keyPrefix: string;
  readonly specs: TierSpecs;
  readonly policies: Readonly<Record<LimitTier, string>>;
  /** The spec and policy of a tier under the adaptive load factor (`specs`/`policies` at 1). */
  readonly atLoad: (tier: LimitTier, load: number) => TierLimit;
  /** Failure-only and byte counts are checked before the response and charged after it. */
  readonly charge: "now" | "later";
  /** Whether the response's outcome matters to this limit (observe has work to do). */
  readonly settles: boolean;
}

export interface PreparedRelease {
  readonly group: string;
  readonly rule: PreparedRule;
  readonly amount: number | "all";
}

export interface RoutePlan {
  readonly group: string;
  readonly rules: readonly PreparedRule[];
  /** Plan name → the plan's limits on this route. */
  readonly plans: ReadonlyMap<string, readonly PreparedRule[]>;
  readonly release: PreparedRelease | undefined;
}

export function prepareRule(rule: RateLimitRule, keyPrefix: string, factors: TierFactors): PreparedRule {
  const specs = tierSpecs(rule.spec, factors);
  const policy = (spec: LimitSpec) => policyItem(rule.name, spec, rule.count, rule.windowSeconds);
  const kind = rule.spec.kind;
  const policies = Object.freeze({ trusted: policy(specs.trusted), normal: policy(specs.normal), suspicious: policy(specs.suspicious) });
  const full = {
    trusted: { spec: specs.trusted, policy: policies.trusted },
    normal: { spec: specs.normal, policy: policies.normal },
    suspicious: { spec: specs.suspicious, policy: policies.suspicious },
  };
  return Object.freeze({
    rule,
    keyPrefix,
    specs,
    policies,
    atLoad: loadScaling(rule.spec, factors, full, policy),
    charge: rule.count === "all" ? "now" : "later",
    settles: rule.count !== "all" || rule.resetOnSuccess || kind === "concurrency" || kind === "holds",
  });
}

/** Every route's plan, by route id. */
export function prepareRoutes(config: RateLimitConfig): Map<string, RoutePlan> {
  const factors: TierFactors = config.tiers;
  const planRules = new Map<string, readonly PreparedRule[]>();
  for (const [name, plan] of config.plans) {
    planRules.set(name, plan.rules.map((rule) => prepareRule(rule, `p:${name}:${rule.name}:`, factors)));
  }
  const routes = new Map<string, RoutePlan>();
  for (const [id, route] of config.routes) {
    const plans = new Map<string, readonly PreparedRule[]>();
    for (const [name, plan] of config.plans) {
      if (plan.routes === undefined || plan.routes.has(id)) plans.set(name, planRules.get(name) ?? []);
    }
    const release = route.releaseHold;
    routes.set(id, {
      group: route.group,
      rules: route.rules.map((rule) => prepareRule(rule, `r:${id}:${rule.name}:`, factors)),
      plans,
      release: release === undefined ? undefined : {
        group: release.group,
        rule: prepareRule(release.rule, `r:${release.routeId}:${release.rule.name}:`, factors),
        amount: release.amount,
      },
    });
  }
  return routes;
}
