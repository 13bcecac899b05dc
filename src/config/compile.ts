/**
 * Turns validated rampart.yaml options into the frozen Config the gateway runs on: defaults
 * applied (the table in the project notes), durations in ms, sizes in bytes, paths resolved
 * against the config's folder, CIDRs and routes compiled, cross-references checked. Problems
 * are collected as issues at their paths, never thrown, so a user sees all of them at once.
 */
import { isAbsolute, resolve } from "node:path";
import { parseCidrSet, type CidrSet } from "../net/cidr.ts";
import type { AdminConfig, Config, ListenerConfig, LoggingConfig, SizeLimits, UpstreamConfig } from "./config.ts";
import { compileAdaptive } from "./compile-adaptive.ts";
import { CompileContext } from "./compile-context.ts";
import { compileControlsStore } from "./compile-controls-store.ts";
import { compileRateLimits } from "./compile-rate-limits.ts";
import { compileIpRules, compileLimits, compileRoutes, unknownUpstream } from "./compile-routes.ts";
import { compileUpstream } from "./compile-upstreams.ts";
import type { ConfigIssue } from "./issues.ts";
import { NOWHERE, type Locator } from "./positions.ts";
import type { RampartOptions } from "./schema.ts";

export type CompileResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[]; readonly warnings: readonly ConfigIssue[] };

export interface CompileOptions {
  /** Absolute path of the config file; relative paths resolve against its folder. */
  readonly file?: string | undefined;
  /** Where paths point in the text (issues get no line without it). */
  readonly locate?: Locator;
  /** Folder for relative paths when there is no file (default the working directory). */
  readonly baseDir?: string;
  /** The options failed schema validation: compile what can be, to report more problems at once. */
  readonly tolerant?: boolean;
}

/** Limits for requests that match no route, and what routes inherit. */
export const DEFAULT_LIMITS: SizeLimits = Object.freeze({ maxHeaderBytes: 16 * 1024, maxUrlBytes: 8 * 1024, maxBodyBytes: 1024 * 1024 });
const ONE_YEAR_S = 31_536_000;

/**
 * Compiles options that passed schema validation. Also safe on options that did not (every
 * section tolerates missing parts), so the loader can add these checks to the schema's.
 */
export function compileConfig(options: RampartOptions, compileOptions: CompileOptions = {}): CompileResult {
  const file = compileOptions.file;
  const baseDir = file === undefined ? (compileOptions.baseDir ?? process.cwd()) : resolve(file, "..");
  const ctx = new CompileContext(file, baseDir, compileOptions.locate ?? NOWHERE, compileOptions.tolerant ?? false);

  const upstreamNames = new Set(Object.keys(options.upstreams ?? {}));
  const upstreams = new Map<string, UpstreamConfig>();
  for (const [name, upstream] of Object.entries(options.upstreams ?? {})) {
    const compiled = ctx.attempt(() => compileUpstream(ctx, name, upstream));
    if (compiled !== undefined) upstreams.set(name, compiled);
  }
  if (options.default_upstream !== undefined && !upstreamNames.has(options.default_upstream)) {
    ctx.error(["default_upstream"], unknownUpstream(options.default_upstream, upstreamNames), "RAMPART_ERR_UNKNOWN_UPSTREAM");
  }
  const strictRoutes = options.strict_routes ?? true;
  if (!strictRoutes && options.default_upstream === undefined) {
    ctx.error(["strict_routes"], "strict_routes: false sends unknown paths to default_upstream, which is not set");
  }

  const limits = compileLimits(ctx, ["limits"], options.limits, DEFAULT_LIMITS);
  // Rate limits may turn on a body view for routes whose limits read the body.
  const { routes, rateLimits } = compileRateLimits(ctx, options, compileRoutes(ctx, options, limits, upstreamNames));
  const listeners = (options.listeners ?? []).flatMap((listener, i) => ctx.attempt(() => compileListener(ctx, i, listener)) ?? []);
  checkListenerNames(ctx, listeners);
  const risk = { suspicious: options.risk?.suspicious_at ?? 50, blocked: options.risk?.blocked_at ?? 100 };
  if (risk.suspicious > risk.blocked) ctx.error(["risk", "suspicious_at"], `must not be above blocked_at (${risk.blocked})`);
  const admin = compileAdmin(ctx, options.admin);
  checkPorts(ctx, listeners, admin);

  const config: Config = {
    file,
    mode: options.mode ?? "enforce",
    strictRoutes,
    defaultUpstream: options.default_upstream,
    trustedProxies: compileTrustedProxies(ctx, options.trusted_proxies),
    listeners,
    upstreams: readOnlyMap(upstreams),
    routes,
    limits,
    ip: compileIpRules(ctx, ["ip"], options.ip),
    risk,
    logging: compileLogging(ctx, options.logging),
    admin,
    drainTimeoutMs: ctx.duration(["shutdown", "drain_timeout"], options.shutdown?.drain_timeout, 30_000),
    rateLimits,
    controlsStore: compileControlsStore(ctx, options.stores?.controls),
    adaptive: compileAdaptive(ctx, options),
  };
  if (ctx.issues.length > 0) return { ok: false, issues: ctx.issues, warnings: ctx.warnings };
  return { ok: true, config: deepFreeze(config), warnings: ctx.warnings };
}

function compileListener(ctx: CompileContext, i: number, listener: RampartOptions["listeners"][number]): ListenerConfig {
  const at = ["listeners", i] as const;
  const tls = listener.tls;
  const headersTimeoutMs = ctx.duration([...at, "timeouts", "headers"], listener.timeouts?.headers, 10_000);
  const requestTimeoutMs = ctx.duration([...at, "timeouts", "request"], listener.timeouts?.request, 60_000);
  // node:http refuses a headers timeout longer than the request timeout; say so here, at the key.
  if (headersTimeoutMs > requestTimeoutMs) ctx.error([...at, "timeouts", "headers"], "must not be longer than timeouts.request");
  let hsts: string | undefined;
  if (tls !== undefined && listener.hsts !== false) {
    const maxAgeMs = ctx.duration([...at, "hsts", "max_age"], listener.hsts?.max_age, ONE_YEAR_S * 1000);
    hsts = `max-age=${Math.floor(maxAgeMs / 1000)}${listener.hsts?.include_subdomains === true ? "; includeSubDomains" : ""}`;
  }
  return {
    name: listener.name ?? `${tls === undefined ? "http" : "https"}-${i}`,
    address: listener.address ?? "0.0.0.0",
    port: listener.port,
    tls: tls === undefined ? undefined : {
      certFile: ctx.readableFile([...at, "tls", "cert"], tls.cert),
      keyFile: ctx.readableFile([...at, "tls", "key"], tls.key),
      minVersion: tls.min_version ?? "TLSv1.2",
      clientCaFile: tls.client_ca === undefined ? undefined : ctx.readableFile([...at, "tls", "client_ca"], tls.client_ca),
      // A client CA is only useful if certificates are asked for; asking is the default then.
      requestClientCert: tls.request_client_cert ?? tls.client_ca !== undefined,
    },
    refusePlainHttp: listener.refuse_plain_http ?? false,
    hsts,
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: ctx.duration([...at, "timeouts", "keep_alive"], listener.timeouts?.keep_alive, 5_000),
    maxConnections: listener.max_connections ?? 10_000,
    maxConnectionsPerIp: listener.max_connections_per_ip ?? 256,
  };
}

function checkListenerNames(ctx: CompileContext, listeners: readonly ListenerConfig[]): void {
  const seen = new Set<string>();
  listeners.forEach((listener, i) => {
    if (seen.has(listener.name)) ctx.error(["listeners", i, "name"], `listener name "${listener.name}" is used twice`);
    seen.add(listener.name);
  });
}

/** Two sockets cannot bind the same port on overlapping addresses (port 0 picks a free one). */
function checkPorts(ctx: CompileContext, listeners: readonly ListenerConfig[], admin: AdminConfig): void {
  const bound: { address: string; port: number; what: string }[] = [];
  if (admin.enabled) bound.push({ address: admin.address, port: admin.port, what: "the admin listener (admin.port, default 9090)" });
  listeners.forEach((listener, i) => {
    const other = bound.find((b) =>
      listener.port !== 0 && b.port === listener.port && (b.address === listener.address || isAnyAddress(b.address) || isAnyAddress(listener.address)));
    if (other !== undefined) ctx.error(["listeners", i, "port"], `port ${listener.port} is already used by ${other.what}`);
    bound.push({ address: listener.address, port: listener.port, what: `listeners[${i}]` });
  });
}

const isAnyAddress = (address: string) => address === "0.0.0.0" || address === "::";
const isLoopback = (address: string) => address === "localhost" || address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(address);

function compileTrustedProxies(ctx: CompileContext, entries: readonly string[] | undefined): CidrSet | undefined {
  (entries ?? []).forEach((entry, i) => {
    // Trusting every address lets any client write its own X-Forwarded-For and pick its IP.
    if (trustsEveryone(entry)) {
      ctx.error(["trusted_proxies", i], `"${entry}" trusts every address: any client could forge X-Forwarded-For; list only your proxies`, "RAMPART_ERR_PERMISSIVE_TRUST_PROXY");
    }
  });
  return ctx.cidrs(["trusted_proxies"], entries);
}

/** Whether one entry covers all of IPv4 or all of IPv6 (a block holding both ends of a space is the space). */
function trustsEveryone(entry: string): boolean {
  let one: CidrSet;
  try {
    one = parseCidrSet([entry]);
  } catch {
    return false; // reported as a bad entry
  }
  return (one.has("0.0.0.0") && one.has("255.255.255.255")) || (one.has("::") && one.has("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

function compileAdmin(ctx: CompileContext, admin: RampartOptions["admin"]): AdminConfig {
  const tokens = new Map<string, string>();
  (admin?.tokens ?? []).forEach((entry, i) => {
    // Never repeat the token in the message: config errors end up in logs.
    if (tokens.has(entry.token)) ctx.error(["admin", "tokens", i, "token"], `the same token value is also given to "${tokens.get(entry.token) ?? ""}"; each operator needs their own`);
    else tokens.set(entry.token, entry.name);
  });
  const config: AdminConfig = {
    enabled: admin?.enabled ?? true,
    address: admin?.address ?? "127.0.0.1",
    port: admin?.port ?? 9090,
    tokens: readOnlyMap(tokens),
  };
  if (config.enabled && tokens.size === 0) {
    if (!isLoopback(config.address)) {
      ctx.error(["admin", "address"], `the admin listener on ${config.address} is reachable from other machines and has no tokens: add admin.tokens or bind 127.0.0.1`, "RAMPART_ERR_ADMIN_EXPOSED");
    } else {
      ctx.warn(["admin"], "no admin tokens: every admin endpoint but /healthz answers 401", "RAMPART_WARN_ADMIN_NO_TOKENS");
    }
  }
  return config;
}

function compileLogging(ctx: CompileContext, logging: RampartOptions["logging"]): LoggingConfig {
  const destination = logging?.destination ?? "stdout";
  const standard = destination === "stdout" || destination === "stderr";
  return {
    level: logging?.level ?? "info",
    destination: standard || isAbsolute(destination) ? destination : resolve(ctx.baseDir, destination),
    debugErrors: logging?.debug_errors ?? false,
  };
}

/** A Map whose mutators throw: Object.freeze alone does not stop `map.set`. */
function readOnlyMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  const refuse = (): never => {
    throw new TypeError("the configuration is frozen");
  };
  Object.defineProperties(map, { set: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
  return Object.freeze(map);
}

/** Freezes plain objects and arrays all the way down; leaves compiled objects (CIDR sets) alone. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Map) {
    for (const entry of value.values()) deepFreeze(entry);
    return value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (Object.isFrozen(value)) return value;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}
