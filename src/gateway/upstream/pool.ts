/** An upstream pool: its targets, the balancer that picks one per request, health and shutdown. */
import type { UpstreamConfig } from "../../config/config.ts";
import type { TargetHealth, UpstreamPool, UpstreamPools } from "./index.ts";
import { startHealthChecks, type StopHealthChecks } from "./health-check.ts";
import { Target } from "./target.ts";
import { upstreamTlsOptions } from "./tls.ts";

/** How long close() lets in-flight upstream requests finish before cutting them. */
const DEFAULT_CLOSE_GRACE_MS = 5_000;

/** The UpstreamPool that createUpstreamPools builds; forward() picks targets through it. */
export class BalancedUpstreamPool implements UpstreamPool {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly #leastInFlight: boolean;
  readonly #stopChecks: readonly StopHealthChecks[];
  #next = 0;

  constructor(config: UpstreamConfig) {
    this.name = config.name;
    const tls = upstreamTlsOptions(config.name, config.tls);
    this.targets = config.targets.map((target) => new Target(target, config, target.origin.startsWith("https:") ? tls : {}));
    this.#leastInFlight = config.balance === "least_in_flight";
    const check = config.healthCheck;
    this.#stopChecks = check === undefined
      ? []
      : this.targets.map((target) => startHealthChecks(target, check, target.origin.startsWith("https:") ? tls : {}, config.connectTimeoutMs));
  }

  /**
   * The target for the next request: round robin, or the fewest requests in flight (ties go round
   * robin so equal targets share the load). Undefined when nothing can take it.
   */
  pick(): Target | undefined {
    const targets = this.targets;
    const count = targets.length;
    const now = Date.now();
    const start = this.#next;
    this.#next = start + 1 === count ? 0 : start + 1;
    let best: Target | undefined;
    for (let i = 0; i < count; i++) {
      const index = start + i < count ? start + i : start + i - count;
      const target = targets[index] as Target;
      if (!target.isAvailable(now)) continue;
      if (!this.#leastInFlight) {
        this.#next = index + 1 === count ? 0 : index + 1;
        return target;
      }
      if (best === undefined || target.inFlight < best.inFlight) best = target;
    }
    return best ?? this.#panicPick();
  }

  /**
   * Every target is out. Refusing everything would turn a flapping health check into a full
   * outage, so (like Envoy's panic mode) the target whose ejection ends first takes the request —
   * but only targets that were reachable once: a pool that never connected answers 502 at once.
   */
  #panicPick(): Target | undefined {
    let best: Target | undefined;
    for (const target of this.targets) {
      if (!target.everReachable) continue;
      if (best === undefined || target.ejectedUntil < best.ejectedUntil) best = target;
    }
    return best;
  }

  health(): readonly TargetHealth[] {
    const now = Date.now();
    return this.targets.map((target) => target.health(now));
  }

  isAvailable(): boolean {
    const now = Date.now();
    return this.targets.some((target) => target.isAvailable(now));
  }

  /** Stops health checks, then closes connections, cutting requests still running after `graceMs`. */
  async close(graceMs: number = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    await Promise.all(this.#stopChecks.map((stop) => stop()));
    await Promise.all(this.targets.map(async (target) => {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<"cut">((resolve) => { timer = setTimeout(resolve, graceMs, "cut").unref(); });
      const outcome = await Promise.race([target.dispatcher.close().then(() => "closed" as const), graceOver]);
      clearTimeout(timer);
      if (outcome === "cut") await target.dispatcher.destroy();
    }));
  }
}

/** Builds one pool per upstream. Throws UpstreamTlsFileError when a TLS file cannot be read. */
export function createUpstreamPools(upstreams: ReadonlyMap<string, UpstreamConfig>): UpstreamPools {
  const pools = new Map<string, BalancedUpstreamPool>();
  try {
    for (const [name, config] of upstreams) pools.set(name, new BalancedUpstreamPool({ ...config, name }));
  } catch (error) {
    for (const pool of pools.values()) void pool.close(0);
    throw error;
  }
  const list = [...pools.values()];
  return {
    get: (name) => pools.get(name),
    all: () => list,
    close: async () => { await Promise.all(list.map((pool) => pool.close())); },
  };
}
