/**
 * Per-route plans of the rate-limit layer, prepared at construction: each limit with its
 * counter-key prefix, its spec and RateLimit-Policy item per tier, and how it is charged.
 * The hot path reads only these.
 */
import type { RateLimitConfig, RateLimitRule } from "../../config/config.ts";
import type { LimitSpec } from "../types.ts";
import { policyItem } from "./ratelimit-headers.ts";
import { SetItems } from "./items.ts";
import { CounterKeys } from "./key-cache.ts";
import { LOAD_LEVELS, loadScaling, tierSpecs, type LimitTier, type TierFactors, type TierLimit, type TierSpecs } from "./tiers.ts";

/** One limit, ready for requests. */
export interface PreparedRule {
  readonly rule: RateLimitRule;
  /**
   * Counter-key prefix: `r:ROUTE:NAME:` for a route's limit, `p:PLAN:NAME:` for a plan's (shared
   * by every route of the same limit group). Names cannot contain `:`, so prefixes never collide.
   */
  readonly keyPrefix: string;
  /** This limit's counter key for a request: `keyPrefix` + its dimension values, flat (key-cache.ts). */
  readonly keys: CounterKeys;
  readonly specs: TierSpecs;
  readonly policies: Readonly<Record<LimitTier, string>>;
  /** The spec and policy of a tier under the adaptive load factor (`specs`/`policies` at 1). */
  readonly atLoad: (tier: LimitTier, load: number) => TierLimit;
  /** Failure-only and byte counts are checked before the response and charged after it. */
  readonly charge: "now" | "later";
  /** Whether the response's outcome matters to this limit (observe has work to do). */
  readonly settles: boolean;
  /** The start of this limit's RateLimit item, `"NAME";r=`: the hot path only appends numbers. */
  readonly stateHead: string;
}

/**
 * The limits one request meets when no allow-list entry skips any of them (the route's, or the
 * route's then a plan's), with their RateLimit-Policy value prepared per tier and load level.
 */
export interface RuleSet {
  readonly rules: readonly PreparedRule[];
  /** Whether any of `rules` has work to do after the response. */
  readonly settles: boolean;
  /** The RateLimit-Policy value of a tier under a load factor (made once per tier and load level). */
  readonly policyHeader: (tier: LimitTier, load: number) => string;
  /** The counter items of a request under these rules (items.ts). */
  readonly items: SetItems;
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
  /** `rules` as a rule set. */
  readonly own: RuleSet;
  /** Plan name → `rules` then the plan's limits on this route, as a rule set. */
  readonly withPlan: ReadonlyMap<string, RuleSet>;
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
    keys: new CounterKeys(keyPrefix, rule.key),
    specs,
    policies,
    atLoad: loadScaling(rule.spec, factors, full, policy),
    charge: rule.count === "all" ? "now" : "later",
    settles: rule.count !== "all" || rule.resetOnSuccess || kind === "concurrency" || kind === "holds",
    stateHead: `"${rule.name}";r=`,
  });
}

/** The RateLimit-Policy value of `rules` for a tier under a load factor: their items, comma-separated. */
export function policyValue(rules: readonly PreparedRule[], tier: LimitTier, load: number): string {
  let value = "";
  for (let i = 0; i < rules.length; i++) {
    const prepared = rules[i]!;
    value += (i === 0 ? "" : ", ") + (load === 1 ? prepared.policies[tier] : prepared.atLoad(tier, load).policy);
  }
  return value;
}

/** A rule set; its policy values at full capacity are made now, those of a load level on its first use. */
export function ruleSet(rules: readonly PreparedRule[]): RuleSet {
  const full: Readonly<Record<LimitTier, string>> = {
    trusted: policyValue(rules, "trusted", 1),
    normal: policyValue(rules, "normal", 1),
    suspicious: policyValue(rules, "suspicious", 1),
  };
  // Same levels as tiers.ts loadScaling: every load of one level scales every limit alike.
  const levels: Record<LimitTier, (string | undefined)[]> = { trusted: [], normal: [], suspicious: [] };
  return Object.freeze({
    rules,
    settles: rules.some((prepared) => prepared.settles),
    items: new SetItems(rules),
    policyHeader(tier: LimitTier, load: number): string {
      if (load === 1) return full[tier];
      const level = Math.max(1, Math.round(load * LOAD_LEVELS));
      if (!(level < LOAD_LEVELS)) return full[tier];
      return (levels[tier][level] ??= policyValue(rules, tier, load));
    },
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
    const rules = route.rules.map((rule) => prepareRule(rule, `r:${id}:${rule.name}:`, factors));
    const withPlan = new Map<string, RuleSet>();
    for (const [name, extra] of plans) withPlan.set(name, ruleSet([...rules, ...extra]));
    routes.set(id, {
      group: route.group,
      rules,
      plans,
      own: ruleSet(rules),
      withPlan,
      release: release === undefined ? undefined : {
        group: release.group,
        rule: prepareRule(release.rule, `r:${release.routeId}:${release.rule.name}:`, factors),
        amount: release.amount,
      },
    });
  }
  return routes;
}
