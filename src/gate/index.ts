/**
 * The gate layer: the cheap checks every request meets first — IP deny and allow lists, the
 * Controls' active blocks, route known, sizes within limits, method allowed, body media type
 * accepted.
 */
import type { Layer, LayerContext, RequestFacts, Verdict } from "../engine/index.ts";
import { validateGateOptions, type GateOptions } from "./options.ts";
import { checkMediaType } from "./media-type.ts";
import { fallbackPlan, planRoute, type RoutePlan } from "./plan.ts";
import {
  GLOBAL_IP_DENIED,
  GLOBAL_IP_NOT_ALLOWED,
  ROUTE_IP_DENIED,
  ROUTE_IP_NOT_ALLOWED,
  ROUTE_UNKNOWN,
  blocked,
  tooLarge,
} from "./verdicts.ts";

export type { GateOptions, GateRoute } from "./options.ts";
export { GateOptionsError } from "./options.ts";
export { acceptedMethods } from "./plan.ts";
export { corsHeaders, isPreflight, preflightHeaders } from "./cors.ts";

/**
 * Builds the gate layer. Options are validated (GateOptionsError) and every route's plan —
 * accepted methods, the `Allow` header, the 405 verdict, the accepted media types — is prepared
 * here, keyed by route id.
 * `evaluate` is synchronous and allocates nothing for a request it lets through, except to
 * strip parameters off a `Content-Type` on a route that declares its body types.
 */
export function gateLayer(options: GateOptions): Layer {
  validateGateOptions(options);
  const { strictRoutes, limits: globalLimits } = options;
  const globalIp = options.ip;
  const plans = new Map<string, RoutePlan>();
  for (const route of options.routes) plans.set(route.id, planRoute(route));
  // One query object reused for every request (evaluate is synchronous and findBlock must not keep it).
  const blockQuery: { ip: string } = { ip: "" };

  function evaluate(facts: RequestFacts, ctx: LayerContext): Verdict | undefined {
    // The client address was derived through trusted proxies only, so these lists judge the
    // real client, not whatever it wrote into X-Forwarded-For.
    const ip = facts.clientIp;
    const match = facts.route;
    let plan: RoutePlan | undefined;
    if (match !== undefined) {
      plan = plans.get(match.route.id);
      if (plan === undefined) plans.set(match.route.id, (plan = fallbackPlan(match.route, globalLimits)));
    }

    // Deny lists first: an address on a deny list stays out even if an allow list names it.
    if (globalIp.deny?.has(ip)) return GLOBAL_IP_DENIED;
    if (plan?.ip.deny?.has(ip)) return ROUTE_IP_DENIED;
    if (globalIp.allow !== undefined && !globalIp.allow.has(ip)) return GLOBAL_IP_NOT_ALLOWED;
    if (plan?.ip.allow !== undefined && !plan.ip.allow.has(ip)) return ROUTE_IP_NOT_ALLOWED;

    blockQuery.ip = ip;
    const block = ctx.controls.findBlock(blockQuery, ctx.now);
    if (block !== undefined) return blocked(block);

    if (plan === undefined && strictRoutes) return ROUTE_UNKNOWN;

    const limits = plan === undefined ? globalLimits : plan.limits;
    if (facts.urlBytes > limits.maxUrlBytes) return tooLarge(414, "url_too_long", facts.urlBytes, limits.maxUrlBytes);
    if (facts.headerBytes > limits.maxHeaderBytes) return tooLarge(431, "headers_too_large", facts.headerBytes, limits.maxHeaderBytes);
    if (facts.contentLength !== undefined && facts.contentLength > limits.maxBodyBytes) {
      return tooLarge(413, "body_too_large", facts.contentLength, limits.maxBodyBytes);
    }

    if (plan === undefined) return undefined;
    if (!plan.methods.has(facts.method)) return plan.methodNotAllowed;
    // After the method: a 405 says more than a 415 to a client that used the wrong method.
    return plan.mediaTypes === undefined ? undefined : checkMediaType(plan.mediaTypes, facts);
  }

  return { name: "gate", stage: "gate", evaluate };
}
