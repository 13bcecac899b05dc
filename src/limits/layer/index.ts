/**
 * The rate-limit layer: every limit that applies to a request — the route's, the caller's
 * plan's, scaled by the risk tier, minus those an allow-list bypasses — is admitted in ONE
 * call to the store (all consume or none), RateLimit headers go on every answer of a limited
 * route, and what only the response can tell is settled afterwards, batched off the path.
 */
import type { RateLimitConfig } from "../../config/config.ts";
import type { Layer, LayerContext, LayerResult, Outcome, RequestFacts, Verdict } from "../../engine/index.ts";
import {
  isStoreUnavailable, type Admission, type AdmitResult, type ItemOutcome, type LimitItem, type LimitStore, type SettleOp,
} from "../../store/limits.ts";
import { createAccounting, releaseOp, settleOps, type AccountingError } from "./accounting.ts";
import { bypasses, matchAllow, type Bypass } from "./allow.ts";
import { keyOf, RequestView } from "./dimensions.ts";
import { itemOf } from "./items.ts";
import { penalize, type PenaltyError } from "./penalty.ts";
import { policyValue, prepareRoutes, type PreparedRule, type RoutePlan, type RuleSet } from "./plan.ts";
import { rateLimitHeaderPair, stateText } from "./ratelimit-headers.ts";
import { limitTier, type LimitTier } from "./tiers.ts";
import { allowListed, decidingRule, delayFor, exceeded, LAYER, STORE_CLOSED } from "./verdicts.ts";

export type { AccountingError } from "./accounting.ts";
export type { PenaltyError } from "./penalty.ts";
export { LAYER as RATE_LIMIT_LAYER } from "./verdicts.ts";

/** A store that answers synchronously (the memory store): the fallback must never wait. */
export interface SyncLimitStore extends LimitStore {
  admit(group: string, items: readonly LimitItem[], now: number): Admission;
}

export interface RateLimitDeps {
  /** Where counters live (memory or Redis); must outlive config reloads. */
  readonly store: LimitStore;
  /** Local limits used while `store` is unavailable on routes whose limits are `open`. */
  readonly fallback: SyncLimitStore;
  /** Clock for admissions after a delay and for settling (default Date.now). */
  readonly now?: () => number;
  /** Waits for `delay` (default a timer); injectable so tests move a fake clock instead. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Dry-run: a refusal is only logged, so `delay` must not hold the request either. */
  readonly dryRun?: boolean;
  /** Told about every settle the store could not take (default: kept in `accountingErrors`). */
  readonly onAccountingError?: (error: AccountingError) => void;
  /** Told when the penalty box could not block a client (default: kept in `accountingErrors`). */
  readonly onPenaltyError?: (error: PenaltyError) => void;
  /**
   * The adaptive load factor of a route's upstream, in (0, 1] (limits/adaptive): limits of
   * normal and suspicious clients are multiplied by it, trusted ones never. Default 1.
   */
  readonly loadFactor?: (routeId: string) => number;
}

export interface RateLimitLayer extends Layer {
  /** Writes the queued accounting now; resolves when every write so far has answered. */
  flush(): Promise<void>;
  /** The latest accounting failures when no `onAccountingError` was given (at most 100). */
  readonly accountingErrors: readonly AccountingError[];
}

/** Options a rate-limit layer cannot work with. */
export class RateLimitOptionsError extends TypeError {
  override readonly name = "RateLimitOptionsError";
}

/** One request's limits, from evaluate to observe. */
interface Pending {
  readonly facts: RequestFacts;
  readonly plan: RoutePlan;
  readonly tier: LimitTier;
  /** The adaptive load factor when the request was admitted. */
  readonly load: number;
  readonly bypass: Bypass | undefined;
  readonly skipped: string[];
  readonly rules: readonly PreparedRule[];
  /** The prepared set `rules` is, or undefined when an allow-list entry skipped some of them. */
  readonly set: RuleSet | undefined;
  /** Read only: a set's items may be the same objects for every request of a client (items.ts). */
  readonly items: readonly LimitItem[];
  /** Key of the hold this route lowers on success. */
  releaseKey: string | undefined;
}

/** What observe needs of an admitted request. */
interface Admitted {
  readonly pending: Pending;
  readonly store: LimitStore;
  readonly outcomes: readonly ItemOutcome[];
}

const NO_OUTCOMES: readonly ItemOutcome[] = Object.freeze([]);
/** `skipped` of a request without an allow-list match: nothing is ever added to it. */
const NONE_SKIPPED: string[] = [];
const MAX_KEPT_ERRORS = 100;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Builds the rate-limit layer for a compiled config; every route's plan is prepared here. */
export function rateLimitLayer(options: RateLimitConfig, deps: RateLimitDeps): RateLimitLayer {
  validate(options, deps);
  const routes = prepareRoutes(options);
  const allowRules = options.allow;
  const settings = options;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const accountingErrors: AccountingError[] = [];
  const onError = deps.onAccountingError ?? ((error: AccountingError) => {
    accountingErrors.push(error);
    if (accountingErrors.length > MAX_KEPT_ERRORS) accountingErrors.shift();
  });
  const accounting = createAccounting(now, onError);
  const onPenaltyError = deps.onPenaltyError ?? ((error: PenaltyError) => onError({ group: `penalty:${error.limit}`, message: error.message }));

  function evaluate(facts: RequestFacts, ctx: LayerContext): LayerResult | Promise<LayerResult> {
    const match = facts.route;
    if (match === undefined) return undefined;
    const plan = routes.get(match.route.id);
    if (plan === undefined) return undefined;
    const planName = ctx.identity?.plan;
    const withPlan = planName === undefined ? undefined : plan.withPlan.get(planName);
    if (plan.rules.length === 0 && withPlan === undefined && plan.release === undefined) return undefined;

    const view = new RequestView(facts, ctx, settings);
    const bypass = allowRules.length === 0 ? undefined : matchAllow(allowRules, facts.clientIp, ctx.identity?.keyId);
    const load = deps.loadFactor === undefined ? 1 : deps.loadFactor(match.route.id);
    const tier = limitTier(ctx.tier);
    let pending: Pending;
    if (bypass === undefined) {
      // Nothing is skipped: the request meets a prepared set, and only its items are made here.
      const set = withPlan ?? plan.own;
      pending = { facts, plan, tier, load, bypass, skipped: NONE_SKIPPED, rules: set.rules, set, items: set.items.of(tier, load, view), releaseKey: undefined };
    } else {
      const kept: PreparedRule[] = [];
      const items: LimitItem[] = [];
      pending = { facts, plan, tier, load, bypass, skipped: [], rules: kept, set: undefined, items, releaseKey: undefined };
      collect(pending, kept, items, plan.rules, view);
      if (planName !== undefined && withPlan !== undefined) collect(pending, kept, items, plan.plans.get(planName) ?? [], view);
    }
    if (plan.release !== undefined) pending.releaseKey = plan.release.rule.keyPrefix + keyOf(plan.release.rule.rule.key, view);
    if (pending.items.length === 0) return admitted(pending, ctx, deps.store, NO_OUTCOMES);
    return admit(pending, ctx, ctx.now, 0);
  }

  /** The limits of an allow-listed request that its entries do not skip, into `kept` and `items`. */
  function collect(pending: Pending, kept: PreparedRule[], items: LimitItem[], rules: readonly PreparedRule[], view: RequestView): void {
    for (const prepared of rules) {
      const name = prepared.rule.name;
      if (bypasses(pending.bypass, name)) {
        pending.skipped.push(name);
        continue;
      }
      kept.push(prepared);
      items.push(itemOf(prepared, pending.tier, pending.load, view));
    }
  }

  /** One admission of every item; synchronous whenever the store answers synchronously. */
  function admit(pending: Pending, ctx: LayerContext, at: number, waitedMs: number): LayerResult | Promise<LayerResult> {
    const result = deps.store.admit(pending.plan.group, pending.items, at);
    if (result instanceof Promise) return result.then((value) => decide(pending, ctx, value, at, waitedMs));
    return decide(pending, ctx, result, at, waitedMs);
  }

  function decide(pending: Pending, ctx: LayerContext, result: AdmitResult, at: number, waitedMs: number): LayerResult | Promise<LayerResult> {
    let admission: Admission;
    let store: LimitStore = deps.store;
    if (isStoreUnavailable(result)) {
      // The route is closed if any of its limits says so: a partial answer would not be the configured limit.
      const closed = pending.rules.some((prepared) => prepared.rule.onStoreError === "closed");
      ctx.failures?.push({
        layer: LAYER,
        message: `limit store unavailable (${result.message}): ${closed ? "on_store_error closed, answered 503" : "on_store_error open, admitted on local memory limits"}`,
        policy: closed ? "closed" : "open",
      });
      if (closed) return STORE_CLOSED;
      store = deps.fallback;
      admission = deps.fallback.admit(pending.plan.group, pending.items, at);
    } else {
      admission = result;
    }
    if (admission.allowed) return admitted(pending, ctx, store, admission.items);

    const wait = deps.dryRun === true ? undefined : delayFor(pending.rules, admission, waitedMs);
    if (wait !== undefined) {
      // nginx limit_req burst/delay: hold the request until the limit has room, then admit it for real.
      return sleep(wait).then(() => admit(pending, ctx, now(), waitedMs + wait));
    }
    const rule = decidingRule(pending.rules, admission);
    if (deps.dryRun !== true) {
      // Every refusing limit with a penalty boxes the client, not only the one that words the answer.
      for (let i = 0; i < pending.rules.length; i++) {
        if (admission.items[i]?.allowed === false) penalize(pending.rules[i]!.rule, pending.facts, ctx.controls, settings, onPenaltyError);
      }
    }
    const index = pending.rules.indexOf(rule);
    const key = pending.items[index]!.key.slice(rule.keyPrefix.length);
    return exceeded(rule, key, admission, settings.headers ? headersOf(pending, admission.items, false) : {});
  }

  function admitted(pending: Pending, ctx: LayerContext, store: LimitStore, outcomes: readonly ItemOutcome[]): Verdict | undefined {
    if (settings.headers && pending.rules.length > 0) {
      const headers = headersOf(pending, outcomes, true);
      // Usually no earlier layer set headers: the fresh object is taken as is, not copied.
      ctx.responseHeaders = ctx.responseHeaders === undefined ? headers : { ...ctx.responseHeaders, ...headers };
    }
    const settles = pending.set === undefined ? pending.rules.some((prepared) => prepared.settles) : pending.set.settles;
    if (pending.releaseKey !== undefined || settles) {
      const record: Admitted = { pending, store, outcomes };
      ctx.memo.set(LAYER, record);
    }
    return pending.bypass === undefined ? undefined : allowListed(pending.bypass, pending.skipped);
  }

  /**
   * RateLimit headers. The store reports what is left *after* an item's cost; an item that took
   * nothing (the admission was refused, or it is charged only after the response) still has it.
   */
  function headersOf(pending: Pending, outcomes: readonly ItemOutcome[], consumed: boolean): Record<string, string> {
    const { rules, items, tier, load } = pending;
    const policy = pending.set === undefined ? policyValue(rules, tier, load) : pending.set.policyHeader(tier, load);
    let state = "";
    for (let i = 0; i < rules.length; i++) {
      const outcome = outcomes[i]!;
      const { cost, charge } = items[i]!;
      const untouched = outcome.allowed && cost > 0 && (!consumed || charge === "later");
      const remaining = untouched ? Math.min(outcome.limit, outcome.remaining + cost) : outcome.remaining;
      state += (i === 0 ? "" : ", ") + stateText(rules[i]!.stateHead, remaining, outcome.resetMs);
    }
    return rateLimitHeaderPair(policy, state);
  }

  function observe(_facts: RequestFacts, ctx: LayerContext, outcome: Outcome): void {
    const record = ctx.memo.get(LAYER) as Admitted | undefined;
    if (record === undefined) return;
    const { pending, store } = record;
    const ops: SettleOp[] = settleOps(pending.rules, pending.items, record.outcomes, outcome);
    accounting.enqueue(store, pending.plan.group, ops);
    const release = pending.plan.release;
    if (release !== undefined && pending.releaseKey !== undefined && outcome.status >= 200 && outcome.status < 300) {
      accounting.enqueue(store, release.group, [releaseOp(release, pending.releaseKey)]);
    }
  }

  return { name: LAYER, stage: "limit", evaluate, observe, flush: () => accounting.flush(), accountingErrors };
}

function validate(options: RateLimitConfig, deps: RateLimitDeps): void {
  for (const tier of ["trusted", "normal", "suspicious"] as const) {
    const factor = options.tiers[tier];
    if (!Number.isFinite(factor) || factor <= 0) throw new RateLimitOptionsError(`tiers.${tier} must be a positive number, got ${factor}`);
  }
  const prefixes: [string, number, number][] = [["ipV6Prefix", options.ipV6Prefix, 128], ["prefixV4", options.prefixV4, 32], ["prefixV6", options.prefixV6, 128]];
  for (const [name, value, max] of prefixes) {
    if (!Number.isInteger(value) || value < 1 || value > max) throw new RateLimitOptionsError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  if (typeof deps.store?.admit !== "function") throw new RateLimitOptionsError("deps.store must be a LimitStore");
  if (typeof deps.fallback?.admit !== "function") throw new RateLimitOptionsError("deps.fallback must be a synchronous LimitStore (memory)");
}
