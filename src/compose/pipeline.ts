/**
 * The one place that turns a Config into a router and a pipeline: it picks the layers. Later
 * layers (limits, auth, intel, behavior, validation) are added here and nowhere else.
 */
import type { Config, RateLimitConfig, RouteConfig } from "../config/config.ts";
import { createPipeline, createRouter, type Controls, type Layer, type Pipeline, type Router } from "../engine/index.ts";
import { gateLayer } from "../gate/index.ts";
import { adaptiveLimits, type LoadMonitor } from "../limits/adaptive/index.ts";
import { rateLimitLayer, type AccountingError, type RateLimitLayer, type SyncLimitStore } from "../limits/layer/index.ts";
import type { LimitStore } from "../store/limits.ts";
import { createMemoryLimitStore } from "../store/memory/limit-store.ts";

export interface Composed {
  readonly config: Config;
  readonly router: Router;
  readonly pipeline: Pipeline;
  /** Route settings by route id, for the gateway (upstream, CORS, body view, size limits). */
  readonly routes: ReadonlyMap<string, RouteConfig>;
  /** The rate-limit layer when the config has limits (flush its accounting before closing the store). */
  readonly rateLimits: RateLimitLayer | undefined;
  /** The adaptive load monitor when `adaptive` is on (factors and load per upstream: `snapshot()`). */
  readonly adaptive: LoadMonitor | undefined;
}

export interface ComposeDeps {
  readonly controls: Controls;
  readonly now?: () => number;
  /**
   * Where rate-limit counters live. Counters must outlive reloads (a reload must not hand
   * every client a fresh allowance), so a gateway creates this once (createLimitStore) and
   * passes it to every compose. Without it compose makes a memory store for this config
   * generation only — fine for tests and one-shot adapters — and refuses a Redis config.
   */
  readonly limitStore?: LimitStore;
  /** Local limits while `limitStore` is down (`on_store_error: open`); default a new memory store. */
  readonly fallbackLimitStore?: SyncLimitStore;
  /** Settles (post-response accounting) the store could not take; the gateway logs them. */
  readonly onLimitAccountingError?: (error: AccountingError) => void;
  /** How `on_exceed: delay` waits (default a timer); tests pass one that moves their clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The adaptive load monitor. Pass one made once per gateway (createLoadMonitor) so limit
   * factors and in-flight counts survive reloads; without it each config generation has its own.
   */
  readonly loadMonitor?: LoadMonitor;
}

/** Whether any route or plan limits anything. */
function hasRateLimits(limits: RateLimitConfig | undefined): limits is RateLimitConfig {
  if (limits === undefined) return false;
  if (limits.plans.size > 0) return true;
  for (const route of limits.routes.values()) if (route.rules.length > 0 || route.releaseHold !== undefined) return true;
  return false;
}

function createRateLimits(config: Config, deps: ComposeDeps, loadFactor: ((routeId: string) => number) | undefined): RateLimitLayer | undefined {
  const limits = config.rateLimits;
  if (!hasRateLimits(limits)) return undefined;
  let store = deps.limitStore;
  if (store === undefined) {
    if (limits.store.driver !== "memory") {
      throw new Error("stores.limits uses redis: create the store once with createLimitStore() and pass it as ComposeDeps.limitStore (it must outlive reloads)");
    }
    store = createMemoryLimitStore({ maxBytes: limits.store.maxBytes });
  }
  return rateLimitLayer(limits, {
    store,
    fallback: deps.fallbackLimitStore ?? createMemoryLimitStore(),
    dryRun: config.mode === "dry-run",
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
    ...(deps.onLimitAccountingError === undefined ? {} : { onAccountingError: deps.onLimitAccountingError }),
    ...(loadFactor === undefined ? {} : { loadFactor }),
  });
}

/**
 * Builds everything a front end (gateway or adapter) needs to decide requests for `config`.
 * All the work happens here, once per config generation; throws when the config cannot be
 * composed (RouteConflictError, GateOptionsError, RateLimitOptionsError), so a reload keeps the running one.
 */
export function compose(config: Config, deps: ComposeDeps): Composed {
  const router = createRouter(config.routes);
  const adaptive = adaptiveLimits(config, deps.loadMonitor);
  const rateLimits = createRateLimits(config, deps, adaptive?.loadFactor);
  // The layers in any order: the pipeline orders them by stage.
  const layers: Layer[] = [gateLayer({ strictRoutes: config.strictRoutes, ip: config.ip, limits: config.limits, routes: config.routes })];
  // Within the limit stage, shedding comes first: a shed request costs no rate-limit admission.
  if (adaptive !== undefined) layers.push(adaptive.layer);
  if (rateLimits !== undefined) layers.push(rateLimits);
  const pipeline = createPipeline({
    layers,
    controls: deps.controls,
    mode: config.mode,
    risk: config.risk,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  const routes = new Map(config.routes.map((route) => [route.id, route]));
  return { config, router, pipeline, routes, rateLimits, adaptive: adaptive?.monitor };
}
