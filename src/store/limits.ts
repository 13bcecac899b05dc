/**
 * The LimitStore interface: one atomic admission of every limit that applies to a request, and
 * the accounting that can only happen after the response. Memory and Redis implement it and
 * pass the same contract suite (test/store/limit-store-contract.ts).
 */

import type { LimitSpec } from "../limits/types.ts";

/** One limit applying to a request. */
export interface LimitItem {
  /** The counter's key, e.g. `login:user:alice`. Unique per limit: two specs must not share one. */
  readonly key: string;
  readonly spec: LimitSpec;
  /**
   * Units this request takes (1, a page size, bytes); ≥ 0. A negative or non-finite cost (a
   * malformed page size) is never a refund nor a free pass: the item is denied.
   */
  readonly cost: number;
  /**
   * `now` (default): consume `cost` when admitted. `later`: only check that `cost` still fits,
   * consume nothing; the caller charges after the response (`add`) — failure-only counts and
   * byte quotas, which so deny *at* the limit, not one past it.
   */
  readonly charge?: "now" | "later";
}

/** What one limit said, for the decision and the RateLimit headers. */
export interface ItemOutcome {
  readonly allowed: boolean;
  /** The allowance (`q` of RateLimit-Policy). */
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
  readonly retryAfterMs: number;
  /** For an admitted concurrency item: the lease to release when the response ends. */
  readonly lease?: string;
}

/** The result of one atomic admission: all items consumed, or none. */
export interface Admission {
  readonly allowed: boolean;
  /** Index of the first item that denied; -1 when allowed. */
  readonly deniedIndex: number;
  /** The longest wait among denying items; 0 when allowed. */
  readonly retryAfterMs: number;
  /** One outcome per item, in the order given. */
  readonly items: readonly ItemOutcome[];
}

/**
 * The store could not answer (Redis down, timed out). A value, never thrown: the caller applies
 * the route's `on_store_error: open | closed`.
 */
export interface StoreUnavailable {
  readonly kind: "store_unavailable";
  /** What failed, for the log: e.g. `redis admit timed out after 100 ms`. */
  readonly message: string;
  readonly cause?: unknown;
}

export function storeUnavailable(message: string, cause?: unknown): StoreUnavailable {
  return cause === undefined ? { kind: "store_unavailable", message } : { kind: "store_unavailable", message, cause };
}

/** Above any limit: what a malformed cost becomes, so that it is denied. */
const UNPAYABLE = Number.MAX_SAFE_INTEGER;

/** The cost a store admits: malformed costs become unpayable (denied), never a refund. */
export function admissionCost(cost: number): number {
  return Number.isFinite(cost) && cost >= 0 ? cost : UNPAYABLE;
}

/** An amount a store adds or lowers after the response: malformed amounts change nothing. */
export function settleAmount(amount: number): number {
  return Number.isFinite(amount) && amount > 0 ? amount : 0;
}

export function isStoreUnavailable(value: unknown): value is StoreUnavailable {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "store_unavailable";
}

/** Accounting after the response, batched by the caller off the request's path. */
export type SettleOp =
  /** Ends a concurrency lease. */
  | { readonly op: "release"; readonly key: string; readonly spec: LimitSpec; readonly lease: string }
  /** Lowers a hold by `amount` (newest first). */
  | { readonly op: "lower"; readonly key: string; readonly spec: LimitSpec; readonly amount: number }
  /** Adds cost known only now (a failure, response bytes), even past the limit. */
  | { readonly op: "add"; readonly key: string; readonly spec: LimitSpec; readonly cost: number }
  /** Forgets the key (e.g. reset on a successful login). */
  | { readonly op: "reset"; readonly key: string };

export type AdmitResult = Admission | StoreUnavailable;
export type SettleResult = undefined | StoreUnavailable;

/**
 * Where limit state lives. `group` names the limits of one route: the keys of one admission
 * share it (on Redis Cluster it is the hash tag that puts them on one shard). `now` comes from
 * the caller's injectable clock; stores never read a clock for decisions.
 */
export interface LimitStore {
  admit(group: string, items: readonly LimitItem[], now: number): AdmitResult | Promise<AdmitResult>;
  /** Applies `ops` in order; with Redis, one round trip for the whole batch. */
  settle(group: string, ops: readonly SettleOp[], now: number): SettleResult | Promise<SettleResult>;
  /** Forgets one key. */
  reset(group: string, key: string): SettleResult | Promise<SettleResult>;
  close(): Promise<void>;
}
