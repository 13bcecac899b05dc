/** The gate layer's options and their validation: checked once, at construction. */
import type { IpRules, RouteConfig, SizeLimits } from "../config/config.ts";
import type { Route } from "../engine/index.ts";

/**
 * What the gate needs of a route: the engine's Route plus its IP rules, size limits and CORS,
 * and the body media types it accepts (unset: any).
 */
export type GateRoute = Route & Pick<RouteConfig, "ip" | "limits" | "cors"> & Partial<Pick<RouteConfig, "contentTypes">>;

/** Options of `gateLayer`, as the resolved Config holds them. */
export interface GateOptions {
  /** Answer 404 to paths no route matches. */
  readonly strictRoutes: boolean;
  /** IP rules for every request, checked before the route's. */
  readonly ip: IpRules;
  /** Size limits for requests that match no route (routes carry their own). */
  readonly limits: SizeLimits;
  readonly routes: readonly GateRoute[];
}

/** Options a gate cannot work with; names the field and what was wrong. */
export class GateOptionsError extends TypeError {
  override readonly name = "GateOptionsError";
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`gate option ${path}: ${problem}`);
    this.path = path;
  }
}

const METHOD = /^[A-Z]+$/;

/** Throws GateOptionsError for the first problem; the config compiler has caught user errors already. */
export function validateGateOptions(options: GateOptions): void {
  if (typeof options.strictRoutes !== "boolean") throw new GateOptionsError("strictRoutes", "must be a boolean");
  validateIp("ip", options.ip);
  validateLimits("limits", options.limits);
  const ids = new Set<string>();
  options.routes.forEach((route, i) => {
    const at = `routes[${i}]`;
    if (typeof route.id !== "string" || route.id === "") throw new GateOptionsError(`${at}.id`, "must be a non-empty string");
    if (ids.has(route.id)) throw new GateOptionsError(`${at}.id`, `"${route.id}" is used by two routes`);
    ids.add(route.id);
    if (route.methods.length === 0) throw new GateOptionsError(`${at}.methods`, "must name at least one method");
    for (const method of route.methods) {
      if (!METHOD.test(method)) throw new GateOptionsError(`${at}.methods`, `"${method}" is not an upper-case HTTP method`);
    }
    validateIp(`${at}.ip`, route.ip);
    validateLimits(`${at}.limits`, route.limits);
    validateContentTypes(`${at}.contentTypes`, route.contentTypes);
  });
}

function validateIp(at: string, rules: IpRules): void {
  for (const side of ["allow", "deny"] as const) {
    const set = rules[side];
    if (set !== undefined && typeof set.has !== "function") throw new GateOptionsError(`${at}.${side}`, "must be a CidrSet (parseCidrSet)");
  }
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** The gate compares lower-case names without parameters; anything else would never match. */
function validateContentTypes(at: string, types: ReadonlySet<string> | undefined): void {
  if (types === undefined) return;
  if (!(types instanceof Set) || types.size === 0) throw new GateOptionsError(at, "must be a non-empty Set of media types");
  for (const type of types) {
    if (typeof type !== "string" || !MEDIA_TYPE.test(type)) throw new GateOptionsError(at, `"${String(type)}" is not a lower-case media type without parameters`);
  }
}

function validateLimits(at: string, limits: SizeLimits): void {
  for (const field of ["maxHeaderBytes", "maxUrlBytes", "maxBodyBytes"] as const) {
    const value = limits[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new GateOptionsError(`${at}.${field}`, `must be a whole number of bytes, got ${value}`);
  }
}
