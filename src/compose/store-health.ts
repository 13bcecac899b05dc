/**
 * Reachability of the limit store for /readyz, learnt from the calls requests already make
 * (no extra round trip on the request path) and, when no request has said anything lately,
 * from a bounded probe that the readiness check starts in the background.
 */
import { isStoreUnavailable, type AdmitResult, type LimitStore, type SettleResult, type StoreUnavailable } from "../store/limits.ts";

/** What a readiness check says of a store. */
export interface StoreHealth {
  readonly ok: boolean;
  readonly detail: string;
}

/** A LimitStore that remembers whether its last answer came from the store or was a failure. */
export interface WatchedLimitStore extends LimitStore {
  /** Last known state; starts a background probe when nothing was learnt for `probeEveryMs`. */
  health(): StoreHealth;
  /** Waits (at most `timeoutMs`) until the store answers; resolves with the state then. */
  probe(timeoutMs: number): Promise<StoreHealth>;
}

/** A store that can say whether it is connected (the Redis store's `ready`). */
interface Probeable {
  ready(timeoutMs?: number): Promise<undefined | StoreUnavailable>;
}

function isProbeable(store: LimitStore): store is LimitStore & Probeable {
  return typeof (store as Partial<Probeable>).ready === "function";
}

export interface WatchOptions {
  /** How the store is named in details, e.g. `redis 10.0.2.5:6379`. */
  readonly name: string;
  /** A probe runs at most this often, and only when no call answered meanwhile; default 1000 ms. */
  readonly probeEveryMs?: number;
  /** Bound of a background probe; default 1000 ms. */
  readonly probeTimeoutMs?: number;
  readonly clock?: () => number;
}

/**
 * Wraps `store`. A synchronous store (memory) stays synchronous. A store without `ready` is
 * judged by its answers alone; before any answer it counts as reachable.
 */
export function watchLimitStore(store: LimitStore, options: WatchOptions): WatchedLimitStore {
  const clock = options.clock ?? Date.now;
  const probeEveryMs = options.probeEveryMs ?? 1000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 1000;
  const probeable = isProbeable(store) ? store : undefined;
  let failure: string | undefined = probeable === undefined ? undefined : "not connected yet";
  let learntAt = probeable === undefined ? clock() : 0;
  let probing: Promise<StoreHealth> | undefined;

  const healthNow = (): StoreHealth => (failure === undefined ? { ok: true, detail: `${options.name}: reachable` } : { ok: false, detail: `${options.name}: ${failure}` });

  function note<T extends AdmitResult | SettleResult>(result: T): T {
    failure = isStoreUnavailable(result) ? result.message : undefined;
    learntAt = clock();
    return result;
  }

  function probe(timeoutMs: number): Promise<StoreHealth> {
    if (probeable === undefined) return Promise.resolve(healthNow());
    probing ??= probeable.ready(timeoutMs).then(
      (result) => { note(result); return healthNow(); },
      (error: unknown) => { failure = `probe failed: ${error instanceof Error ? error.message : String(error)}`; learntAt = clock(); return healthNow(); },
    ).finally(() => { probing = undefined; });
    return probing;
  }

  return {
    admit(group, items, now) {
      const result = store.admit(group, items, now);
      return result instanceof Promise ? result.then(note) : note(result);
    },
    settle(group, ops, now) {
      const result = store.settle(group, ops, now);
      return result instanceof Promise ? result.then(note) : note(result);
    },
    reset(group, key) {
      const result = store.reset(group, key);
      return result instanceof Promise ? result.then(note) : note(result);
    },
    close: () => store.close(),
    health() {
      if (probeable !== undefined && probing === undefined && clock() - learntAt >= probeEveryMs) void probe(probeTimeoutMs);
      return healthNow();
    },
    probe,
  };
}
