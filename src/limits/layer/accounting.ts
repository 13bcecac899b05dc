/**
 * Accounting after the response: failure-only counts, response bytes, concurrency releases,
 * holds given back or lowered, keys reset on success. Nothing of it is on the request's path:
 * operations are queued and written once per tick, one `settle` per store and group (one
 * Redis round trip each), whatever the number of responses that ended in that tick.
 */
import type { Outcome } from "../../engine/index.ts";
import { isStoreUnavailable, type ItemOutcome, type LimitItem, type LimitStore, type SettleOp, type SettleResult } from "../../store/limits.ts";
import type { PreparedRelease, PreparedRule } from "./plan.ts";

/** A settle that failed: the layer cannot log by itself, so it hands this to its owner. */
export interface AccountingError {
  readonly group: string;
  readonly message: string;
}

export interface Accounting {
  enqueue(store: LimitStore, group: string, ops: readonly SettleOp[]): void;
  /** Writes what is queued now and resolves once every write so far has answered. */
  flush(): Promise<void>;
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/**
 * What an admitted request owes its limits once its outcome is known. Failure-only limits
 * count an answer whose status is listed, and an answer the client never received (status 0):
 * an aborted attempt is not a free attempt.
 */
export function settleOps(rules: readonly PreparedRule[], items: readonly LimitItem[], outcomes: readonly ItemOutcome[], outcome: Outcome): SettleOp[] {
  const ops: SettleOp[] = [];
  const { status } = outcome;
  for (let i = 0; i < rules.length; i++) {
    const prepared = rules[i]!;
    if (!prepared.settles) continue;
    const { rule } = prepared;
    const item = items[i]!;
    const lease = outcomes[i]?.lease;
    if (item.spec.kind === "concurrency" && lease !== undefined) ops.push({ op: "release", key: item.key, spec: item.spec, lease });
    // A hold is raised at admission (so concurrent requests cannot overshoot) and given back when the request failed.
    if (item.spec.kind === "holds" && !isSuccess(status) && item.cost > 0) ops.push({ op: "lower", key: item.key, spec: item.spec, amount: item.cost });
    if (rule.count === "failures" && (status === 0 || rule.failureStatus.has(status))) ops.push({ op: "add", key: item.key, spec: item.spec, cost: item.cost });
    if (rule.count === "response_bytes" && outcome.bytesOut > 0) ops.push({ op: "add", key: item.key, spec: item.spec, cost: outcome.bytesOut });
    if (rule.resetOnSuccess && isSuccess(status)) ops.push({ op: "reset", key: item.key });
  }
  return ops;
}

/** The op that lowers another route's hold after this route succeeded. */
export function releaseOp(release: PreparedRelease, key: string): SettleOp {
  const spec = release.rule.specs.normal;
  return release.amount === "all" ? { op: "reset", key } : { op: "lower", key, spec, amount: release.amount };
}

/** A per-tick batcher of settle operations. */
export function createAccounting(now: () => number, onError: (error: AccountingError) => void): Accounting {
  let queue = new Map<LimitStore, Map<string, SettleOp[]>>();
  let scheduled = false;
  const writing = new Set<Promise<unknown>>();

  function report(group: string, result: SettleResult): void {
    if (isStoreUnavailable(result)) onError({ group, message: result.message });
  }

  function run(): void {
    scheduled = false;
    const batch = queue;
    queue = new Map();
    const at = now();
    for (const [store, groups] of batch) {
      for (const [group, ops] of groups) {
        let result: SettleResult | Promise<SettleResult>;
        try {
          result = store.settle(group, ops, at);
        } catch (error) {
          onError({ group, message: error instanceof Error ? error.message : String(error) });
          continue;
        }
        if (result instanceof Promise) {
          const write = result.then(
            (value) => report(group, value),
            (error: unknown) => onError({ group, message: error instanceof Error ? error.message : String(error) }),
          );
          writing.add(write);
          void write.finally(() => writing.delete(write));
        } else {
          report(group, result);
        }
      }
    }
  }

  return {
    enqueue(store, group, ops) {
      if (ops.length === 0) return;
      let groups = queue.get(store);
      if (groups === undefined) queue.set(store, (groups = new Map()));
      const pending = groups.get(group);
      if (pending === undefined) groups.set(group, [...ops]);
      else pending.push(...ops);
      if (!scheduled) {
        scheduled = true;
        // A microtask: after the response's bookkeeping, before the next request is read.
        queueMicrotask(run);
      }
    },
    async flush() {
      if (scheduled) run();
      await Promise.all(writing);
    },
  };
}
