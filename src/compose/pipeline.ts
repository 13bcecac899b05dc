/** CONTRACT STUB (owner: gate helper) — the one place that turns a Config into a pipeline. */
import type { Config, RouteConfig } from "../config/config.ts";
import type { Controls, Pipeline, Router } from "../engine/index.ts";

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

export function compose(config: Config, deps: ComposeDeps): Composed {
  void config; void deps;
  throw new Error("contract stub");
}
