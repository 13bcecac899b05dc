/**
 * Compiles `routes:` into RouteConfig: ids, methods, CORS, limits inherited from the top
 * level, IP rules, the body view and accepted media types, the account field, and the checks that need every route at once (ids
 * unique, upstreams known, no two routes of the same path shape).
 */
import { createRouter, RouteConflictError, type Route } from "../engine/router.ts";
import type { CorsPolicy, FieldRef, IpRules, RouteConfig, SizeLimits } from "./config.ts";
import type { CompileContext } from "./compile-context.ts";
import { compileContentTypes } from "./media-types.ts";
import type { KeyPath } from "./positions.ts";
import type { RampartOptions } from "./schema.ts";

type RouteOptions = RampartOptions["routes"][number];
type LimitOptions = NonNullable<RampartOptions["limits"]>;

/** Compiles limits, taking each unset field from `inherited`. */
export function compileLimits(ctx: CompileContext, at: KeyPath, options: LimitOptions | undefined, inherited: SizeLimits): SizeLimits {
  return {
    maxHeaderBytes: ctx.size([...at, "max_header_bytes"], options?.max_header_bytes, inherited.maxHeaderBytes),
    maxUrlBytes: ctx.size([...at, "max_url_bytes"], options?.max_url_bytes, inherited.maxUrlBytes),
    maxBodyBytes: ctx.size([...at, "max_body_bytes"], options?.max_body_bytes, inherited.maxBodyBytes),
  };
}

export function compileIpRules(ctx: CompileContext, at: KeyPath, options: RampartOptions["ip"]): IpRules {
  return { allow: ctx.cidrs([...at, "allow"], options?.allow), deny: ctx.cidrs([...at, "deny"], options?.deny) };
}

/** `/users/:id` → `users_id`, `/` → `root`: a readable default id for logs and metrics. */
export function routeSlug(path: string): string {
  const slug = path.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return slug === "" ? "root" : slug;
}

export function compileRoutes(ctx: CompileContext, options: RampartOptions, limits: SizeLimits, upstreams: ReadonlySet<string>): RouteConfig[] {
  const compiled = (options.routes ?? []).flatMap((route, i) => {
    const result = ctx.attempt(() => compileRoute(ctx, ["routes", i], route, limits, upstreams));
    return result === undefined ? [] : [{ index: i, route: result }];
  });
  const conflicting = checkConflicts(ctx, compiled);
  const firstById = new Map<string, number>();
  for (const { index, route } of compiled) {
    const first = firstById.get(route.id);
    if (first === undefined) firstById.set(route.id, index);
    else if (!conflicting.has(index) || options.routes[index]?.id !== undefined) {
      const explicit = options.routes[index]?.id !== undefined;
      ctx.error(["routes", index, explicit ? "id" : "path"], `route id "${route.id}" is already used by routes[${first}]${explicit ? "" : "; give this route an id"}`, "RAMPART_ERR_ROUTE_CONFLICT");
    }
  }
  return compiled.map(({ route }) => route);
}

function compileRoute(ctx: CompileContext, at: KeyPath, route: RouteOptions, inherited: SizeLimits, upstreams: ReadonlySet<string>): RouteConfig {
  if (!upstreams.has(route.upstream)) {
    ctx.error([...at, "upstream"], unknownUpstream(route.upstream, upstreams), "RAMPART_ERR_UNKNOWN_UPSTREAM");
  }
  const methods = [...new Set(route.methods ?? [])];
  // A GET route answers HEAD too (RFC 9110 §9.3.2): listing it spares every layer the special case.
  if (methods.includes("GET") && !methods.includes("HEAD")) methods.push("HEAD");
  return {
    id: route.id ?? routeSlug(route.path),
    pattern: route.path,
    methods,
    onError: route.on_error ?? "closed",
    upstream: route.upstream,
    cors: route.cors === undefined ? undefined : compileCors(ctx, [...at, "cors"], route.cors, methods),
    limits: compileLimits(ctx, [...at, "limits"], route.limits, inherited),
    ip: compileIpRules(ctx, [...at, "ip"], route.ip),
    bodyViewBytes: route.body === undefined ? 0 : ctx.size([...at, "body", "view_bytes"], route.body.view_bytes, 0),
    contentTypes: route.body?.content_types === undefined ? undefined : compileContentTypes(route.body.content_types),
    account: route.account === undefined ? undefined : parseFieldRef(route.account),
  };
}

/** The message for a name that is not under `upstreams:`. */
export function unknownUpstream(name: string, known: ReadonlySet<string>): string {
  const names = [...known].map((n) => `"${n}"`).join(", ");
  return `unknown upstream "${name}" (${known.size === 0 ? "no upstreams are defined" : `known: ${names}`})`;
}

function compileCors(ctx: CompileContext, at: KeyPath, cors: NonNullable<RouteOptions["cors"]>, routeMethods: readonly string[]): CorsPolicy {
  const wildcard = cors.origins.includes("*");
  if (wildcard && cors.origins.length > 1) ctx.error([...at, "origins"], '"*" must be the only origin when it is used');
  if (wildcard && cors.credentials === true) {
    ctx.error([...at, "credentials"], 'credentials cannot be true with origins ["*"]: list the allowed origins', "RAMPART_ERR_CORS_WILDCARD_CREDENTIALS");
  }
  const origins = cors.origins.flatMap((origin, i) => {
    if (origin === "*") return [];
    const normal = normalizeOrigin(origin);
    if (normal === undefined) {
      ctx.error([...at, "origins", i], `${JSON.stringify(origin)} is not an origin (scheme://host[:port], no path), e.g. https://app.example.com`);
      return [];
    }
    return [normal];
  });
  const maxAgeMs = cors.max_age === undefined ? undefined : ctx.duration([...at, "max_age"], cors.max_age, 0);
  return {
    origins: wildcard ? "*" : origins,
    methods: cors.methods ?? routeMethods,
    headers: (cors.headers ?? []).map((header) => header.toLowerCase()),
    exposeHeaders: cors.expose_headers ?? [],
    credentials: cors.credentials ?? false,
    maxAgeSeconds: maxAgeMs === undefined ? undefined : Math.floor(maxAgeMs / 1000),
  };
}

/** The origin as browsers send it in `Origin` (lower case, default port dropped), or undefined. */
function normalizeOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
  return bare && (url.protocol === "http:" || url.protocol === "https:") ? url.origin : undefined;
}

function parseFieldRef(text: string): FieldRef {
  const dot = text.indexOf(".");
  return { source: text.slice(0, dot) as FieldRef["source"], name: text.slice(dot + 1) };
}

/**
 * Adds routes one by one so each conflict is reported at the route that causes it; returns the
 * indexes of those routes.
 */
function checkConflicts(ctx: CompileContext, routes: readonly { index: number; route: RouteConfig }[]): Set<number> {
  const conflicting = new Set<number>();
  try {
    createRouter(routes.map(({ route }) => route));
    return conflicting;
  } catch (cause) {
    if (!(cause instanceof RouteConflictError)) throw cause;
  }
  const accepted: Route[] = [];
  for (const { index, route } of routes) {
    try {
      createRouter([...accepted, route]);
      accepted.push(route);
    } catch (cause) {
      if (!(cause instanceof RouteConflictError)) throw cause;
      ctx.error(["routes", index, "path"], cause.message, "RAMPART_ERR_ROUTE_CONFLICT");
      conflicting.add(index);
    }
  }
  return conflicting;
}
