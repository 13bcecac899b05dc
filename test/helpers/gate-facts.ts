/** Test fixtures: RequestFacts, routes, layer contexts and a small Config, with overrides. */
import type { Config, RouteConfig, SizeLimits } from "../../src/config/config.ts";
import type { Controls, LayerContext, RequestFacts, Route } from "../../src/engine/index.ts";
import { createMemoryControls } from "../../src/store/memory/controls.ts";

export const DEFAULT_LIMITS: SizeLimits = Object.freeze({ maxHeaderBytes: 16 * 1024, maxUrlBytes: 8 * 1024, maxBodyBytes: 1024 * 1024 });

/** An engine Route with sensible defaults. */
export function makeRoute(over: Partial<Route> & Pick<Route, "id">): Route {
  return { pattern: `/${over.id}`, methods: ["GET"], onError: "closed", ...over };
}

/** A RouteConfig with sensible defaults (no CORS, no IP rules, default limits). */
export function makeRouteConfig(over: Partial<RouteConfig> & Pick<RouteConfig, "id">): RouteConfig {
  return {
    pattern: `/${over.id}`,
    methods: ["GET"],
    onError: "closed",
    upstream: "api",
    cors: undefined,
    limits: DEFAULT_LIMITS,
    ip: { allow: undefined, deny: undefined },
    bodyViewBytes: 0,
    contentTypes: undefined,
    account: undefined,
    ...over,
  };
}

/** RequestFacts for a GET from 203.0.113.7 to `/`, with overrides; `route` accepts a Route (params empty). */
export function makeFacts(over: Partial<Omit<RequestFacts, "route">> & { route?: Route | RequestFacts["route"] } = {}): RequestFacts {
  const { route, ...rest } = over;
  const match = route === undefined ? undefined : "route" in route ? route : { route, params: {} };
  return {
    id: "req-1",
    receivedAt: 1_700_000_000_000,
    clientIp: "203.0.113.7",
    peerIp: "203.0.113.7",
    method: "GET",
    path: "/",
    query: "",
    host: "api.example.test",
    protocol: "http",
    headers: {},
    route: match,
    tls: undefined,
    urlBytes: 1,
    headerBytes: 100,
    contentLength: undefined,
    body: undefined,
    ...rest,
  };
}

/** A fresh LayerContext, as the pipeline makes one, over memory Controls unless given. */
export function makeContext(over: { controls?: Controls; now?: number } = {}): LayerContext {
  return {
    now: over.now ?? 1_700_000_000_000,
    controls: over.controls ?? createMemoryControls({ now: () => 1_700_000_000_000 }),
    identity: undefined,
    signals: [],
    risk: 0,
    tier: "normal",
    decision: undefined,
    memo: new Map(),
  };
}

/** A resolved Config as compile.ts would make it, with the documented defaults. */
export function makeConfig(over: Partial<Config> = {}): Config {
  return {
    file: undefined,
    mode: "enforce",
    strictRoutes: true,
    defaultUpstream: undefined,
    trustedProxies: undefined,
    listeners: [],
    upstreams: new Map(),
    routes: [],
    limits: DEFAULT_LIMITS,
    ip: { allow: undefined, deny: undefined },
    risk: { suspicious: 50, blocked: 100 },
    logging: { level: "info", destination: "stdout", debugErrors: false },
    admin: { enabled: false, address: "127.0.0.1", port: 9090, tokens: new Map() },
    drainTimeoutMs: 30_000,
    ...over,
  };
}
