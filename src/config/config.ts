/**
 * The resolved configuration: what compile.ts makes of a validated rampart.yaml. Defaults
 * applied, durations in ms, sizes in bytes, CIDRs parsed, paths resolved against the config
 * file's folder, everything frozen. The hot path reads only this, never the raw options.
 */

import type { Mode, RiskThresholds, Route } from "../engine/index.ts";
import type { LimitSpec } from "../limits/types.ts";
import type { CidrSet } from "../net/cidr.ts";

export interface SizeLimits {
  readonly maxHeaderBytes: number;
  readonly maxUrlBytes: number;
  readonly maxBodyBytes: number;
}

export interface IpRules {
  /** When set, only matching addresses pass. */
  readonly allow: CidrSet | undefined;
  readonly deny: CidrSet | undefined;
}

export interface CorsPolicy {
  /** `"*"` allows any origin (never together with credentials: compile rejects it). */
  readonly origins: readonly string[] | "*";
  readonly methods: readonly string[];
  readonly headers: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly credentials: boolean;
  readonly maxAgeSeconds: number | undefined;
}

export interface ListenerTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
  readonly clientCaFile: string | undefined;
  readonly requestClientCert: boolean;
}

export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tls: ListenerTlsConfig | undefined;
  readonly refusePlainHttp: boolean;
  /** Strict-Transport-Security value for HTTPS answers, or undefined for none. */
  readonly hsts: string | undefined;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

export interface UpstreamTarget {
  /** Origin, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  readonly origin: string;
  /** Path prefix of the target URL ("" when none), prepended to the request path. */
  readonly basePath: string;
}

export interface HealthCheckConfig {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyAfter: number;
  readonly unhealthyAfter: number;
}

export interface UpstreamTlsConfig {
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly serverName: string | undefined;
  readonly verify: boolean;
}

export interface UpstreamConfig {
  readonly name: string;
  readonly targets: readonly UpstreamTarget[];
  readonly balance: "round_robin" | "least_in_flight";
  readonly connectTimeoutMs: number;
  readonly responseHeadersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly connectionsPerTarget: number;
  readonly keepAliveIdleMs: number;
  readonly healthCheck: HealthCheckConfig | undefined;
  readonly passiveFailures: number;
  readonly ejectForMs: number;
  readonly tls: UpstreamTlsConfig | undefined;
}

/** A field reference such as `body.username`: where a request names something. */
export interface FieldRef {
  readonly source: "body" | "query" | "header" | "param";
  readonly name: string;
}

export interface RouteConfig extends Route {
  readonly upstream: string;
  readonly cors: CorsPolicy | undefined;
  readonly limits: SizeLimits;
  readonly ip: IpRules;
  /** Bytes of body to buffer for layers, or 0 for none. */
  readonly bodyViewBytes: number;
  /**
   * Media types a request body may have (lower case, no parameters, shorthands expanded), or
   * undefined when the route accepts any. A body of another type gets 415 at the gate.
   */
  readonly contentTypes: ReadonlySet<string> | undefined;
  readonly account: FieldRef | undefined;
}

/** What a limit counts per. Field values (header, query, body) are normalized (see limits/normalize.ts). */
export type LimitDimension =
  | { readonly kind: "ip" | "ip_prefix" | "key_id" | "subject" | "session" | "route" | "global" | "asn" | "country" }
  | { readonly kind: "header" | "query" | "body"; readonly name: string };

/** Units a request takes: fixed, or read from a request field (missing/malformed → `fallback`, capped at `max`). */
export type LimitCost =
  | { readonly kind: "fixed"; readonly value: number }
  | { readonly kind: "field"; readonly source: "header" | "query" | "body"; readonly name: string; readonly max: number; readonly fallback: number };

export type ExceedAction = "throttle" | "delay" | "deny" | "challenge" | "tarpit" | "drop";

/** One compiled rate limit. */
export interface RateLimitRule {
  readonly name: string;
  /** The spec for the normal tier (factor 1); the layer scales it for other tiers. */
  readonly spec: LimitSpec;
  readonly key: readonly LimitDimension[];
  readonly onExceed: ExceedAction;
  /** `delay`: the longest a request waits before it is admitted or throttled. */
  readonly maxDelayMs: number;
  /** `tarpit`: how long the answer is held before the 429. */
  readonly tarpitMs: number;
  /** `failures` and `response_bytes` are charged after the response (checked before it). */
  readonly count: "all" | "failures" | "response_bytes";
  /** `count: failures`: statuses that count (default 401, 403). */
  readonly failureStatus: ReadonlySet<number>;
  readonly resetOnSuccess: boolean;
  readonly cost: LimitCost;
  readonly onStoreError: "open" | "closed";
  /** Window in seconds for the `w` of RateLimit-Policy, when the algorithm has one. */
  readonly windowSeconds: number | undefined;
  /** Penalty box: exceeding this limit blocks the client's address (or its prefix) for `ttlMs`. */
  readonly penalty: { readonly ttlMs: number; readonly block: "ip" | "prefix" } | undefined;
}

/** A hold another route raises, lowered when this route answers 2xx. */
export interface HoldRelease {
  /** The route that raises the hold (its id prefixes the key). */
  readonly routeId: string;
  /** The raising route's limit group: where the hold's key lives. */
  readonly group: string;
  readonly rule: RateLimitRule;
  readonly amount: number | "all";
}

/** The rate limits of one route. Every route has an entry (possibly empty): plans apply everywhere. */
export interface RouteRateLimits {
  /** Admission group: the route id unless `rate_limit_group` is set (routes sharing it share plan counters). */
  readonly group: string;
  readonly rules: readonly RateLimitRule[];
  readonly releaseHold: HoldRelease | undefined;
}

export interface PlanLimits {
  readonly rules: readonly RateLimitRule[];
  /** Route ids the plan applies on; undefined = every route. */
  readonly routes: ReadonlySet<string> | undefined;
}

/** Clients that bypass the limits they name. */
export interface AllowRule {
  readonly name: string;
  readonly cidrs: CidrSet | undefined;
  readonly keyIds: ReadonlySet<string>;
  /** Limit names bypassed; undefined = all. */
  readonly limits: ReadonlySet<string> | undefined;
}

export type LimitStoreConfig =
  | { readonly driver: "memory"; readonly maxBytes: number }
  | {
    readonly driver: "redis";
    readonly host: string;
    readonly port: number;
    readonly cluster: readonly { readonly host: string; readonly port: number }[] | undefined;
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly db: number | undefined;
    readonly keyPrefix: string | undefined;
    readonly timeoutMs: number;
    readonly connectTimeoutMs: number;
  };

/** Where Controls (operator blocks, penalty box) live; `redis` shares them between instances over pub/sub. */
export type ControlsStoreConfig =
  | { readonly driver: "memory" }
  | {
    readonly driver: "redis";
    readonly host: string;
    readonly port: number;
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly db: number | undefined;
    /** Prepended to every key and to the channel; default `rampart:`. */
    readonly keyPrefix: string;
    /** Longest wait for a change (block add/remove) or an audit read. */
    readonly timeoutMs: number;
    readonly connectTimeoutMs: number;
    /** How long start waits for the first full load of the blocks before going on without them. */
    readonly readyTimeoutMs: number;
  };

export interface RateLimitConfig {
  /** By route id; every route has an entry. */
  readonly routes: ReadonlyMap<string, RouteRateLimits>;
  /** By plan name (matched against identity.plan). */
  readonly plans: ReadonlyMap<string, PlanLimits>;
  readonly tiers: { readonly trusted: number; readonly normal: number; readonly suspicious: number };
  readonly allow: readonly AllowRule[];
  /** Prefix of an IPv6 client for the `ip` dimension (IPv4 is counted per address). */
  readonly ipV6Prefix: number;
  readonly prefixV4: number;
  readonly prefixV6: number;
  readonly sessionCookie: string;
  /** Whether answers carry RateLimit-Policy and RateLimit (Retry-After on a refusal always). */
  readonly headers: boolean;
  readonly store: LimitStoreConfig;
}

/** What the adaptive controller treats as one upstream's capacity. */
export interface AdaptiveBounds {
  /** Upstream latency (EWMA of time to response headers) the backend should stay under. */
  readonly targetLatencyMs: number;
  /** Requests in flight to the upstream at which it is at capacity (normal clients are shed there). */
  readonly maxInFlight: number;
}

/** Adaptive limits and load shedding (see limits/adaptive/). */
export interface AdaptiveConfig extends AdaptiveBounds {
  /** p99 event-loop delay of the gateway itself at which it is at capacity. */
  readonly maxEventLoopDelayMs: number;
  /** The lowest factor limits of normal and suspicious clients are scaled down to, in (0, 1]. */
  readonly minFactor: number;
  /** The most the factor moves in one second (at most 0.1). */
  readonly maxChangePerSecond: number;
  /** Load above which the factor goes down. Load is 1 when a bound is reached. */
  readonly highWater: number;
  /** Load below which the factor goes back up; between the water marks it holds. */
  readonly lowWater: number;
  /** Whether requests are shed (503) past capacity; the factor applies either way. */
  readonly shed: boolean;
  /** Bounds of every configured upstream, per-upstream overrides applied. */
  readonly upstreams: ReadonlyMap<string, AdaptiveBounds>;
}

export interface LoggingConfig {
  readonly level: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** `stdout`, `stderr` or an absolute file path. */
  readonly destination: string;
  readonly debugErrors: boolean;
}

export interface AdminConfig {
  readonly enabled: boolean;
  readonly address: string;
  readonly port: number;
  /** Token value → operator name (the audit trail says who). */
  readonly tokens: ReadonlyMap<string, string>;
}

export interface Config {
  /** Absolute path of the file this came from (undefined when built in code). */
  readonly file: string | undefined;
  readonly mode: Mode;
  readonly strictRoutes: boolean;
  readonly defaultUpstream: string | undefined;
  readonly trustedProxies: CidrSet | undefined;
  readonly listeners: readonly ListenerConfig[];
  readonly upstreams: ReadonlyMap<string, UpstreamConfig>;
  readonly routes: readonly RouteConfig[];
  /** Limits for requests that match no route. */
  readonly limits: SizeLimits;
  readonly ip: IpRules;
  readonly risk: RiskThresholds;
  readonly logging: LoggingConfig;
  readonly admin: AdminConfig;
  readonly drainTimeoutMs: number;
  /** Rate limits, plans, tiers, allow-lists and the limit store (compile.ts always sets it). */
  readonly rateLimits?: RateLimitConfig;
  /** Where Controls live (compile.ts always sets it; absent means memory). */
  readonly controlsStore?: ControlsStoreConfig;
  /** Adaptive limits and load shedding; undefined when the `adaptive` section is absent or off. */
  readonly adaptive?: AdaptiveConfig | undefined;
}
