/**
 * Adaptive limits and load shedding for a compiled config: the load monitor, the shedding
 * layer, and the `loadFactor` the rate-limit layer multiplies normal and suspicious limits by.
 * Compose wires them; the two layers never call each other, they share only the monitor.
 */
import type { Config } from "../../config/config.ts";
import type { Layer } from "../../engine/index.ts";
import { createLoadMonitor, type LoadMonitor, type LoadMonitorDeps, type UpstreamLoad } from "./load-monitor.ts";
import { shedLayer } from "./shed.ts";

export { createFactorController, FactorOptionsError, type FactorController, type FactorOptions, type FactorTrend } from "./factor.ts";
export { createLoadMonitor, TICK_MS, type FactorChange, type LoadMonitor, type LoadMonitorDeps, type LoadSnapshot, type UpstreamLoad } from "./load-monitor.ts";
export { createEventLoopProbe, createUpstreamSignal, type EventLoopProbe, type UpstreamSignal, type UpstreamWindow } from "./load-signal.ts";
export { SHED_LAYER, shedLayer, SUSPICIOUS_SHARE, type ShedOptions } from "./shed.ts";

export interface AdaptiveLimits {
  readonly monitor: LoadMonitor;
  /** The shedding layer (stage `limit`): put it before the rate-limit layer. */
  readonly layer: Layer;
  /** The factor of a route's upstream, for the rate-limit layer (1 for a route it does not know). */
  readonly loadFactor: (routeId: string) => number;
}

/**
 * The adaptive parts for `config`, or undefined when its `adaptive` section is off. A monitor
 * passed in (one per gateway, so factors survive reloads) takes the config's settings;
 * otherwise one is made for this config generation (it sleeps by itself when traffic stops).
 */
export function adaptiveLimits(config: Config, monitor?: LoadMonitor, deps?: LoadMonitorDeps): AdaptiveLimits | undefined {
  const settings = config.adaptive;
  if (settings === undefined) return undefined;
  const active = monitor ?? createLoadMonitor(settings, deps);
  if (monitor !== undefined) monitor.configure(settings);
  const routeUpstreams = new Map(config.routes.map((route) => [route.id, route.upstream]));
  const byRoute = new Map<string, UpstreamLoad>();
  for (const [routeId, upstream] of routeUpstreams) byRoute.set(routeId, active.upstream(upstream));
  const layer = shedLayer({
    monitor: active,
    routeUpstreams,
    // Unmatched requests reach the default upstream only when routes are not strict.
    defaultUpstream: config.strictRoutes ? undefined : config.defaultUpstream,
    allow: config.rateLimits?.allow ?? [],
    shed: settings.shed,
    dryRun: config.mode === "dry-run",
  });
  return { monitor: active, layer, loadFactor: (routeId) => byRoute.get(routeId)?.factor ?? 1 };
}
