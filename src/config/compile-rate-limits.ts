/**
 * Compiles `rate_limits` (per route, top-level settings), `plans` and `stores.limits` into the
 * RateLimitConfig the rate-limit layer runs on. Algorithm options are checked by the limit
 * specs' validating factories and every problem is reported at its key path; routes whose
 * limits read the body get a body view when they have none.
 */
import { LimitSpecError } from "../limits/spec.ts";
import type {
  AllowRule, HoldRelease, LimitStoreConfig, PlanLimits, RateLimitConfig, RateLimitRule, RouteConfig, RouteRateLimits,
} from "./config.ts";
import type { CompileContext } from "./compile-context.ts";
import { routeSlug } from "./compile-routes.ts";
import { buildSpec, parseDimension, type BodyCheck, type RuleDefaults } from "./compile-rate-limit-rule.ts";
import { acceptsFieldBodies, compileContentTypes } from "./media-types.ts";
import type { KeyPath } from "./positions.ts";
import type { RampartOptions } from "./schema.ts";

type RuleOptions = NonNullable<RampartOptions["routes"][number]["rate_limits"]>[number];

/** Methods whose requests carry a body a limit may read. */
const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Body view turned on for a route whose limits read the body and that sets none. */
export const DEFAULT_LIMIT_BODY_VIEW = 16 * 1024;

export interface CompiledRateLimits {
  readonly rateLimits: RateLimitConfig;
  /** The routes, with a body view turned on where a limit reads the body. */
  readonly routes: RouteConfig[];
}

interface RouteDraft {
  readonly id: string;
  readonly at: KeyPath;
  readonly group: string;
  readonly rules: RateLimitRule[];
  readonly check: BodyCheck;
}

/** Compiles everything rate limits need; problems are issues on `ctx`. */
export function compileRateLimits(ctx: CompileContext, options: RampartOptions, routes: RouteConfig[]): CompiledRateLimits {
  const settings = options.rate_limits;
  const defaults: RuleDefaults = {
    algorithm: settings?.algorithm ?? "sliding_window",
    onExceed: settings?.on_exceed ?? "throttle",
    onStoreError: settings?.on_store_error ?? "open",
  };
  const routeIds = new Set(routes.map((route) => route.id));
  const needsBody = new Set<string>();
  const drafts: RouteDraft[] = [];
  (options.routes ?? []).forEach((route, i) => {
    const draft = ctx.attempt(() => {
      const id = route.id ?? routeSlug(route.path);
      const at: KeyPath = ["routes", i];
      const check = bodyCheck(ctx, at, route, () => needsBody.add(id));
      const rules = compileRules(ctx, [...at, "rate_limits"], route.rate_limits ?? [], defaults, check);
      return { id, at, group: route.rate_limit_group ?? id, rules, check };
    });
    if (draft !== undefined) drafts.push(draft);
  });

  const entries = new Map<string, RouteRateLimits>();
  drafts.forEach((draft) => {
    const raw = (options.routes ?? [])[draft.at[1] as number];
    const releaseHold = raw?.release_hold === undefined ? undefined : compileRelease(ctx, [...draft.at, "release_hold"], raw.release_hold, drafts, draft.check);
    if (!entries.has(draft.id)) entries.set(draft.id, { group: draft.group, rules: draft.rules, releaseHold });
  });

  const plans = compilePlans(ctx, options.plans, defaults, routeIds, drafts);
  const known = new Set<string>([...drafts.flatMap((d) => d.rules.map((r) => r.name)), ...[...plans.values()].flatMap((p) => p.rules.map((r) => r.name))]);
  const rateLimits: RateLimitConfig = {
    routes: entries,
    plans,
    tiers: { trusted: settings?.tiers?.trusted ?? 2, normal: settings?.tiers?.normal ?? 1, suspicious: settings?.tiers?.suspicious ?? 0.5 },
    allow: compileAllow(ctx, settings?.allow ?? [], known),
    ipV6Prefix: settings?.ip_v6_prefix ?? 56,
    prefixV4: settings?.ip_prefix?.v4 ?? 24,
    prefixV6: settings?.ip_prefix?.v6 ?? 56,
    sessionCookie: settings?.session_cookie ?? "session",
    headers: settings?.headers ?? true,
    store: compileStore(ctx, ["stores", "limits"], options.stores?.limits),
  };
  const withBody = routes.map((route) => (needsBody.has(route.id) && route.bodyViewBytes === 0 ? { ...route, bodyViewBytes: DEFAULT_LIMIT_BODY_VIEW } : route));
  return { rateLimits, routes: withBody };
}

/**
 * What a `body.*` reference needs on a route: a method that carries a body, a body whose
 * fields can be read (JSON or a form, when the route declares `body.content_types`), and a
 * body view (turned on here when `body.view_bytes` is not set, an error when it is set to 0).
 */
function bodyCheck(ctx: CompileContext, at: KeyPath, route: RampartOptions["routes"][number], needBody: () => void): BodyCheck {
  const declared = route.body?.content_types;
  const contentTypes = declared === undefined ? undefined : compileContentTypes(declared);
  return (path, field) => {
    const methods = route.methods ?? [];
    if (!methods.some((method) => BODY_METHODS.has(method))) {
      ctx.error(path, `${field} reads the request body, but this route's methods (${methods.join(", ")}) carry none; key it on something else or add POST/PUT/PATCH`);
      return;
    }
    // Every accepted body would key the limit on <missing>: one shared bucket, not the per-field count the user asked for.
    if (contentTypes !== undefined && !acceptsFieldBodies(contentTypes)) {
      ctx.error(path, `${field} cannot be read: route ${route.path} takes only ${[...contentTypes].join(", ")} (body fields are read from JSON or form bodies)`);
      return;
    }
    if (route.body?.view_bytes !== undefined && ctx.size([...at, "body", "view_bytes"], route.body.view_bytes, 0) === 0) {
      ctx.error(path, `${field} reads the request body, but body.view_bytes is 0 on this route; remove it (a ${DEFAULT_LIMIT_BODY_VIEW / 1024}kb view is then used) or set a size`);
      return;
    }
    needBody();
  };
}

function compileRules(ctx: CompileContext, at: KeyPath, list: readonly RuleOptions[], defaults: RuleDefaults, check: BodyCheck): RateLimitRule[] {
  const rules: RateLimitRule[] = [];
  const names = new Set<string>();
  list.forEach((raw, j) => {
    const path = [...at, j];
    if (names.has(raw.name)) ctx.error([...path, "name"], `limit name "${raw.name}" is used twice on this route`);
    names.add(raw.name);
    const rule = ctx.attempt(() => compileRule(ctx, path, raw, defaults, check));
    if (rule !== undefined) rules.push(rule);
  });
  return rules;
}

function compileRule(ctx: CompileContext, at: KeyPath, raw: RuleOptions, defaults: RuleDefaults, check: BodyCheck): RateLimitRule | undefined {
  const key = raw.key.map((text, k) => parseDimension(text, [...at, "key", k], check));
  if (typeof raw.cost === "string" && raw.cost.startsWith("body.")) check([...at, "cost"], raw.cost);
  let built: ReturnType<typeof buildSpec>;
  try {
    built = buildSpec(ctx, at, raw, defaults);
  } catch (cause) {
    if (!(cause instanceof LimitSpecError)) throw cause;
    ctx.error([...at, optionKey(cause.option)], cause.message.replace(/^[A-Za-z]+: /, "").replace(/\bwindowMs\b/g, "window"));
    return undefined;
  }
  if (built === undefined) return undefined;
  return { ...built, key };
}

/** Spec factory option → rampart.yaml key. */
function optionKey(option: string): string {
  const keys: Record<string, string> = {
    windowMs: "window", periodMs: "window", capacity: "burst", refillPerSecond: "rate", leaseMs: "lease", ttlMs: "ttl", timeZone: "time_zone", period: "per",
  };
  return keys[option] ?? option;
}

function compileRelease(
  ctx: CompileContext, at: KeyPath, raw: NonNullable<RampartOptions["routes"][number]["release_hold"]>, drafts: readonly RouteDraft[], check: BodyCheck,
): HoldRelease | undefined {
  const name = typeof raw === "string" ? raw : raw.name;
  const amount = typeof raw === "string" ? 1 : raw.amount ?? 1;
  const holders = drafts.flatMap((draft) => draft.rules.filter((rule) => rule.name === name && rule.spec.kind === "holds").map((rule) => ({ draft, rule })));
  const namePath = typeof raw === "string" ? at : [...at, "name"];
  if (holders.length !== 1) {
    const why = holders.length === 0 ? `no route has a limit "${name}" with algorithm: hold` : `${holders.length} routes define a hold named "${name}"; give them distinct names`;
    ctx.error(namePath, why);
    return undefined;
  }
  const { draft, rule } = holders[0]!;
  // The releasing request must find the raising request's key: same dimensions, read here.
  rule.key.forEach((dimension) => {
    if (dimension.kind === "route") ctx.error(namePath, `hold "${name}" is keyed on route, which differs on this route: the hold could never be lowered`);
    if (dimension.kind === "body") check(namePath, `body.${dimension.name} (a key of hold "${name}")`);
  });
  return { routeId: draft.id, group: draft.group, rule, amount };
}

function compilePlans(
  ctx: CompileContext, plans: RampartOptions["plans"], defaults: RuleDefaults, routeIds: ReadonlySet<string>, drafts: readonly RouteDraft[],
): Map<string, PlanLimits> {
  const compiled = new Map<string, PlanLimits>();
  const routeNames = new Set(drafts.flatMap((draft) => draft.rules.map((rule) => rule.name)));
  for (const [name, plan] of Object.entries(plans ?? {})) {
    const at: KeyPath = ["plans", name];
    // Plans apply on every route (or a list): nothing guarantees a body to read.
    const noBody: BodyCheck = (path, field) => ctx.error(path, `${field}: a plan's limits apply across routes and cannot read the request body`);
    const rules = compileRules(ctx, [...at, "rate_limits"], plan.rate_limits ?? [], defaults, noBody);
    rules.forEach((rule, j) => {
      if (routeNames.has(rule.name)) ctx.error([...at, "rate_limits", j, "name"], `"${rule.name}" is also the name of a route limit; plan and route limits need distinct names (RateLimit headers and allow-lists refer to them by name)`);
    });
    (plan.routes ?? []).forEach((id, k) => {
      if (!routeIds.has(id)) ctx.error([...at, "routes", k], `unknown route id "${id}"`);
    });
    compiled.set(name, { rules, routes: plan.routes === undefined ? undefined : new Set(plan.routes) });
  }
  return compiled;
}

function compileAllow(ctx: CompileContext, list: NonNullable<NonNullable<RampartOptions["rate_limits"]>["allow"]>, known: ReadonlySet<string>): AllowRule[] {
  return list.map((entry, i) => {
    const at: KeyPath = ["rate_limits", "allow", i];
    if ((entry.cidrs ?? []).length === 0 && (entry.key_ids ?? []).length === 0) ctx.error(at, "names no client: give cidrs or key_ids");
    (entry.limits ?? []).forEach((name, k) => {
      if (!known.has(name)) ctx.error([...at, "limits", k], `unknown limit "${name}" (no route or plan defines it)`);
    });
    return {
      name: entry.name,
      cidrs: ctx.cidrs([...at, "cidrs"], entry.cidrs),
      keyIds: new Set(entry.key_ids ?? []),
      limits: entry.limits === undefined ? undefined : new Set(entry.limits),
    };
  });
}

const REDIS_ONLY = ["host", "port", "cluster", "username", "password", "db", "key_prefix", "timeout", "connect_timeout"] as const;

function compileStore(ctx: CompileContext, at: KeyPath, store: NonNullable<RampartOptions["stores"]>["limits"]): LimitStoreConfig {
  const driver = store?.driver ?? "memory";
  if (driver === "memory") {
    for (const key of REDIS_ONLY) if (store?.[key] !== undefined) ctx.error([...at, key], "applies to driver: redis only", "RAMPART_ERR_CONFIG_INVALID", "key");
    return { driver, maxBytes: ctx.size([...at, "max_bytes"], store?.max_bytes, 64 * 1024 * 1024) };
  }
  if (store?.max_bytes !== undefined) ctx.error([...at, "max_bytes"], "applies to driver: memory only (Redis bounds its memory with maxmemory)", "RAMPART_ERR_CONFIG_INVALID", "key");
  if (store?.cluster !== undefined && (store.host !== undefined || store.port !== undefined)) ctx.error([...at, "cluster"], "give either host/port (one server) or cluster (seed nodes), not both");
  // Braces would move the Redis Cluster hash tag that keeps one admission's keys on one shard.
  if (store?.key_prefix !== undefined && /[{}]/.test(store.key_prefix)) ctx.error([...at, "key_prefix"], "must not contain { or }");
  return {
    driver,
    host: store?.host ?? "127.0.0.1",
    port: store?.port ?? 6379,
    cluster: store?.cluster,
    username: store?.username,
    password: store?.password,
    db: store?.db,
    keyPrefix: store?.key_prefix,
    timeoutMs: ctx.duration([...at, "timeout"], store?.timeout, 100),
    connectTimeoutMs: ctx.duration([...at, "connect_timeout"], store?.connect_timeout, 1000),
  };
}
