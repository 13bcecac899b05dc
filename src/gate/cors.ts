/**
 * CORS for a route: pure functions the gateway calls before the pipeline. A preflight is
 * answered here (204, or 403 when refused) and never reaches the method check, which would
 * answer 405 and break every browser client of the route.
 */
import type { CorsPolicy } from "../config/config.ts";
import type { Headers } from "../engine/index.ts";

type HeaderMap = Readonly<Record<string, string>>;

/** A policy prepared once: sets for membership, header values joined in advance. */
interface CompiledCors {
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
  readonly methods: ReadonlySet<string>;
  readonly anyHeader: boolean;
  readonly headers: ReadonlySet<string>;
  readonly allowMethods: string;
  readonly allowHeaders: string;
  /** Headers of an actual response per allowed origin (echoed, so one object per origin). */
  readonly responseByOrigin: Map<string, HeaderMap>;
  /** Credentials and exposed headers: what every actual response carries besides the origin. */
  readonly responseBase: HeaderMap;
  /** Headers of an actual response when any origin is allowed without credentials. */
  readonly responseAny: HeaderMap | undefined;
}

const VARY_ONLY: HeaderMap = Object.freeze({ vary: "Origin" });
const PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

// Keyed by the policy object: the gateway passes the frozen RouteConfig's policy on every
// request, so each policy is compiled once and lives as long as its config generation.
const compiled = new WeakMap<CorsPolicy, CompiledCors>();

function compile(policy: CorsPolicy): CompiledCors {
  let found = compiled.get(policy);
  if (found !== undefined) return found;
  const anyOrigin = policy.origins === "*";
  const headers = policy.headers.map((name) => name.toLowerCase());
  const expose = policy.exposeHeaders.join(", ");
  const responseBase: Record<string, string> = {};
  if (policy.credentials) responseBase["access-control-allow-credentials"] = "true";
  if (expose !== "") responseBase["access-control-expose-headers"] = expose;
  found = {
    anyOrigin,
    origins: new Set(anyOrigin ? [] : policy.origins),
    methods: new Set(policy.methods.map((method) => method.toUpperCase())),
    anyHeader: headers.includes("*") && !policy.credentials,
    headers: new Set(headers),
    allowMethods: policy.methods.join(", "),
    allowHeaders: policy.headers.join(", "),
    responseByOrigin: new Map(),
    responseBase: Object.freeze(responseBase),
    // `*` is only valid without credentials (browsers refuse it otherwise): then echo instead.
    responseAny: anyOrigin && !policy.credentials ? Object.freeze({ ...responseBase, "access-control-allow-origin": "*" }) : undefined,
  };
  if (!anyOrigin) {
    for (const origin of policy.origins) {
      found.responseByOrigin.set(origin, Object.freeze({ ...responseBase, "access-control-allow-origin": origin, vary: "Origin" }));
    }
  }
  compiled.set(policy, found);
  return found;
}

function originAllowed(cors: CompiledCors, origin: string): boolean {
  return cors.anyOrigin || cors.origins.has(origin);
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : value?.[0];
}

/** Whether a request is a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(method: string, headers: Headers): boolean {
  return method === "OPTIONS" && headers["origin"] !== undefined && headers["access-control-request-method"] !== undefined;
}

/**
 * Headers for the 204 answer to a preflight, or undefined when the origin, the method or one
 * of the requested headers is not allowed (the gateway then answers 403). Takes the request's
 * values, or its whole header map.
 */
export function preflightHeaders(policy: CorsPolicy, headers: Headers): HeaderMap | undefined;
export function preflightHeaders(policy: CorsPolicy, origin: string, requestMethod: string, requestHeaders: string | undefined): HeaderMap | undefined;
export function preflightHeaders(
  policy: CorsPolicy,
  originOrHeaders: string | Headers,
  requestMethod?: string,
  requestHeaders?: string,
): HeaderMap | undefined {
  let origin: string | undefined;
  if (typeof originOrHeaders === "string") {
    origin = originOrHeaders;
  } else {
    origin = firstValue(originOrHeaders["origin"]);
    requestMethod = firstValue(originOrHeaders["access-control-request-method"]);
    const asked = originOrHeaders["access-control-request-headers"];
    requestHeaders = Array.isArray(asked) ? asked.join(",") : asked;
  }
  if (origin === undefined || requestMethod === undefined) return undefined;
  const cors = compile(policy);
  if (!originAllowed(cors, origin) || !cors.methods.has(requestMethod.toUpperCase())) return undefined;
  const asked = parseHeaderList(requestHeaders);
  if (!cors.anyHeader && asked.some((name) => !cors.headers.has(name))) return undefined;
  const answer: Record<string, string> = {
    "access-control-allow-origin": cors.anyOrigin && !policy.credentials ? "*" : origin,
    "access-control-allow-methods": cors.allowMethods,
    vary: PREFLIGHT_VARY,
  };
  const allowHeaders = cors.anyHeader ? asked.join(", ") : cors.allowHeaders;
  if (allowHeaders !== "") answer["access-control-allow-headers"] = allowHeaders;
  if (policy.credentials) answer["access-control-allow-credentials"] = "true";
  if (policy.maxAgeSeconds !== undefined) answer["access-control-max-age"] = String(policy.maxAgeSeconds);
  return answer;
}

/**
 * Headers for an actual (non-preflight) response: the allowed origin echoed (or `*` when any
 * origin is allowed without credentials), credentials, exposed headers, and `Vary: Origin`
 * whenever the answer depends on the origin, so a cache never serves one origin's answer to
 * another. Undefined when nothing needs adding.
 */
export function corsHeaders(policy: CorsPolicy, origin: string | undefined): HeaderMap | undefined {
  const cors = compile(policy);
  if (cors.responseAny !== undefined) return origin === undefined ? undefined : cors.responseAny;
  if (origin === undefined) return VARY_ONLY;
  const listed = cors.responseByOrigin.get(origin);
  if (listed !== undefined) return listed;
  // Any origin with credentials (compile refuses it, but a policy built in code may say so): echo.
  if (cors.anyOrigin) return { ...cors.responseBase, "access-control-allow-origin": origin, vary: "Origin" };
  return VARY_ONLY;
}

/** `X-Token, content-type` → `["x-token", "content-type"]`. */
function parseHeaderList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names: string[] = [];
  for (const part of value.split(",")) {
    const name = part.trim().toLowerCase();
    if (name !== "") names.push(name);
  }
  return names;
}
