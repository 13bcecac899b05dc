/**
 * The counter items a request's limits admit. When every limit of a set is keyed by the client
 * address or by nothing, and costs a fixed amount, a returning client's items are the same
 * request after request: they are kept per tier and address, so such a client costs one map
 * lookup instead of an array, an object and a key lookup per limit. The stores only read items.
 */
import type { LimitItem } from "../../store/limits.ts";
import { costOf, type RequestView } from "./dimensions.ts";
import type { PreparedRule } from "./plan.ts";
import type { LimitTier } from "./tiers.ts";

/**
 * Addresses kept per tier before a cache starts over (a rotation attack only costs it its
 * hits): about 200 bytes each with 3 limits, so at most ~0.6 MB per rule set for all tiers.
 */
const MAX_ADDRESSES = 1024;

/** One limit's counter item for this request. */
export function itemOf(prepared: PreparedRule, tier: LimitTier, load: number, view: RequestView): LimitItem {
  return {
    key: prepared.keys.of(view),
    spec: load === 1 ? prepared.specs[tier] : prepared.atLoad(tier, load).spec,
    cost: prepared.rule.count === "response_bytes" ? 1 : costOf(prepared.rule.cost, view),
    charge: prepared.charge,
  };
}

/** The counter items of `rules`, in their order. */
export function itemsOf(rules: readonly PreparedRule[], tier: LimitTier, load: number, view: RequestView): LimitItem[] {
  // Sized up front: a pushed-to empty array would get a backing store of 16 slots.
  const items = new Array<LimitItem>(rules.length);
  for (let i = 0; i < rules.length; i++) items[i] = itemOf(rules[i]!, tier, load, view);
  return items;
}

/** Whether a limit's item depends on nothing but the client address and the tier. */
function byAddressAlone(prepared: PreparedRule): boolean {
  return prepared.keys.byAddress && (prepared.rule.count === "response_bytes" || prepared.rule.cost.kind === "fixed");
}

/** The items of one rule set, kept per tier and client address when its limits allow it. */
export class SetItems {
  readonly #rules: readonly PreparedRule[];
  readonly #cached: Record<LimitTier, Map<string, readonly LimitItem[]>> | undefined;

  constructor(rules: readonly PreparedRule[]) {
    this.#rules = rules;
    this.#cached = rules.length > 0 && rules.every(byAddressAlone) ? { trusted: new Map(), normal: new Map(), suspicious: new Map() } : undefined;
  }

  /** The items of a request; a scaled load (adaptive limits) makes them afresh. */
  of(tier: LimitTier, load: number, view: RequestView): readonly LimitItem[] {
    const cached = this.#cached;
    if (cached === undefined || load !== 1) return itemsOf(this.#rules, tier, load, view);
    const address = view.facts.clientIp;
    let items = cached[tier].get(address);
    if (items === undefined) {
      if (cached[tier].size >= MAX_ADDRESSES) cached[tier] = new Map();
      items = itemsOf(this.#rules, tier, load, view);
      cached[tier].set(address, items);
    }
    return items;
  }
}
