/** Per-route gate plans, prepared at construction: the hot path only reads them. */
import type { IpRules, SizeLimits } from "../config/config.ts";
import type { Route, Verdict } from "../engine/index.ts";
import { planMediaTypes, type MediaTypePlan } from "./media-type.ts";
import type { GateRoute } from "./options.ts";
import { methodNotAllowed } from "./verdicts.ts";

/** What the gate checks for one route, prepared once. */
export interface RoutePlan {
  readonly ip: IpRules;
  readonly limits: SizeLimits;
  readonly methods: ReadonlySet<string>;
  /** The `Allow` header value of a 405, e.g. `GET, HEAD, POST`. */
  readonly allowHeader: string;
  readonly methodNotAllowed: Verdict;
  /** The body media types the route accepts, or undefined for any. */
  readonly mediaTypes: MediaTypePlan | undefined;
}

const NO_IP_RULES: IpRules = Object.freeze({ allow: undefined, deny: undefined });

/**
 * The methods a route accepts, in the order declared: `HEAD` follows `GET` (a HEAD is a GET
 * without the body, RFC 9110 §9.3.2), and `OPTIONS` is added when the route has CORS, so a
 * browser's preflight is never refused with 405.
 */
export function acceptedMethods(methods: readonly string[], hasCors: boolean): string[] {
  const accepted: string[] = [];
  const add = (method: string) => {
    if (!accepted.includes(method)) accepted.push(method);
  };
  for (const method of methods) {
    add(method);
    if (method === "GET") add("HEAD");
  }
  if (hasCors) add("OPTIONS");
  return accepted;
}

/** Prepares a route's plan: its IP rules, limits, accepted methods, the frozen 405 and its body media types. */
export function planRoute(route: GateRoute): RoutePlan {
  const methods = acceptedMethods(route.methods, route.cors !== undefined);
  const allowHeader = methods.join(", ");
  return Object.freeze({
    ip: route.ip,
    limits: route.limits,
    methods: new Set(methods),
    allowHeader,
    methodNotAllowed: methodNotAllowed(allowHeader),
    mediaTypes: planMediaTypes(route.contentTypes),
  });
}

/**
 * A plan for a route the gate was not built with (a router from another config generation):
 * the route's own methods, no route IP rules, and the global limits.
 */
export function fallbackPlan(route: Route, limits: SizeLimits): RoutePlan {
  return planRoute({ ...route, ip: NO_IP_RULES, limits, cors: undefined });
}
