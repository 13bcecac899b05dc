/**
 * The one place that turns a Config into a router and a pipeline: it picks the layers. Later
 * layers (limits, auth, intel, behavior, validation) are added here and nowhere else.
 */
import type { Config, RouteConfig } from "../config/config.ts";
import { createPipeline, createRouter, type Controls, type Layer, type Pipeline, type Router } from "../engine/index.ts";
import { gateLayer } from "../gate/index.ts";

export interface Composed {
  readonly config: Config;
  readonly router: Router;
  readonly pipeline: Pipeline;
  /** Route settings by route id, for the gateway (upstream, CORS, body view, size limits). */
  readonly routes: ReadonlyMap<string, RouteConfig>;
}

export interface ComposeDeps {
  readonly controls: Controls;
  readonly now?: () => number;
}

/** The layers for a config, in any order: the pipeline orders them by stage. */
function layersFor(config: Config): Layer[] {
  return [gateLayer({ strictRoutes: config.strictRoutes, ip: config.ip, limits: config.limits, routes: config.routes })];
}

/**
 * Builds everything a front end (gateway or adapter) needs to decide requests for `config`.
 * All the work happens here, once per config generation; throws when the config cannot be
 * composed (RouteConflictError, GateOptionsError), so a reload keeps the running one.
 */
export function compose(config: Config, deps: ComposeDeps): Composed {
  const router = createRouter(config.routes);
  const pipeline = createPipeline({
    layers: layersFor(config),
    controls: deps.controls,
    mode: config.mode,
    risk: config.risk,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  const routes = new Map(config.routes.map((route) => [route.id, route]));
  return { config, router, pipeline, routes };
}
