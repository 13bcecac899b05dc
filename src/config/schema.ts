/**
 * rampart.yaml's schema: the single source of truth. The TypeScript type of what users write
 * (`RampartOptions`), the runtime validation (ajv) and the JSON Schema that `rampart schema`
 * prints all come from here. Every object rejects unknown keys. Values that need parsing
 * (durations, sizes, CIDRs, URLs) are checked for shape here and parsed once in compile.ts.
 * An `x-error` annotation gives the message a user sees when a value is not one of a set;
 * `x-secret` marks values never repeated in a message (tokens).
 */

import { Type, type Static, type TSchema } from "@sinclair/typebox";

const strict = { additionalProperties: false } as const;

/** The same schema with a `default` annotation (for editors and `rampart schema`; compile.ts applies it). */
function withDefault<T extends TSchema>(schema: T, value: unknown): T {
  return { ...schema, default: value };
}

/** A string from a closed list, with a message that says what the list is. */
function oneOf<const T extends readonly string[]>(values: T, error: string, description?: string) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], "x-error": error, ...(description ? { description } : {}) });
}

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"] as const;

const Duration = Type.String({
  pattern: "^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$",
  description: "A duration: 250ms, 10s, 5m, 1h, 7d.",
  "x-error": "is not a duration (e.g. 250ms, 10s, 5m, 1h)",
});

const Size = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: "^[0-9]+(\\.[0-9]+)?\\s*([kKmMgG]i?[bB]|[bB])?$" }),
], { description: "A size in bytes: 16384, 16kb, 1mb, 1gb.", "x-error": "is not a size (e.g. 512, 16kb, 1mb)" });

const Cidr = Type.String({ minLength: 2, description: "An IPv4 or IPv6 address, or a CIDR block (10.0.0.0/8, 2001:db8::/32)." });
const FilePath = Type.String({ minLength: 1, description: "A file path, relative to the config file." });
const Name = Type.String({ pattern: "^[A-Za-z0-9_.-]+$", "x-error": "is not a name (letters, digits, _ . -)" });
const Method = oneOf(HTTP_METHODS, "is not an HTTP method");

const SizeLimits = Type.Object({
  max_header_bytes: Type.Optional(withDefault(Size, "16kb")),
  max_url_bytes: Type.Optional(withDefault(Size, "8kb")),
  max_body_bytes: Type.Optional(withDefault(Size, "1mb")),
}, { ...strict, description: "Request size limits: over them a request gets 431, 414 or 413." });

const IpRules = Type.Object({
  allow: Type.Optional(Type.Array(Cidr, { description: "When set, only these addresses may pass." })),
  deny: Type.Optional(Type.Array(Cidr, { description: "These addresses are denied (403)." })),
}, strict);

const Cors = Type.Object({
  origins: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Allowed origins, or ["*"].' }),
  methods: Type.Optional(Type.Array(Method)),
  headers: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  expose_headers: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  credentials: Type.Optional(Type.Boolean()),
  max_age: Type.Optional(Duration),
}, strict);

const ListenerTls = Type.Object({
  cert: FilePath,
  key: FilePath,
  min_version: Type.Optional(withDefault(oneOf(["TLSv1.2", "TLSv1.3"] as const, "is not a TLS version (TLSv1.2, TLSv1.3)"), "TLSv1.2")),
  client_ca: Type.Optional(FilePath),
  request_client_cert: Type.Optional(Type.Boolean()),
}, strict);

const Listener = Type.Object({
  name: Type.Optional(Name),
  address: Type.Optional(Type.String({ minLength: 1, description: "Address to bind (default 0.0.0.0).", default: "0.0.0.0" })),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  tls: Type.Optional(ListenerTls),
  refuse_plain_http: Type.Optional(Type.Boolean({ description: "Answer every plain-HTTP request with 403 (APIs should not redirect).", default: false })),
  hsts: Type.Optional(Type.Union([Type.Literal(false), Type.Object({
    max_age: Type.Optional(withDefault(Duration, "365d")),
    include_subdomains: Type.Optional(Type.Boolean({ default: false })),
  }, strict)], { description: "Strict-Transport-Security on HTTPS answers (default max-age one year), or false for none." })),
  timeouts: Type.Optional(Type.Object({
    headers: Type.Optional(withDefault(Duration, "10s")),
    request: Type.Optional(withDefault(Duration, "60s")),
    keep_alive: Type.Optional(withDefault(Duration, "5s")),
  }, strict)),
  max_connections: Type.Optional(Type.Integer({ minimum: 1, default: 10000 })),
  max_connections_per_ip: Type.Optional(Type.Integer({ minimum: 1, default: 256 })),
}, strict);

const Upstream = Type.Object({
  targets: Type.Array(Type.String({ pattern: "^https?://", "x-error": "is not an http:// or https:// URL" }), { minItems: 1 }),
  balance: Type.Optional(withDefault(oneOf(["round_robin", "least_in_flight"] as const, "is not a balancing method (round_robin, least_in_flight)"), "round_robin")),
  timeouts: Type.Optional(Type.Object({
    connect: Type.Optional(withDefault(Duration, "5s")),
    response_headers: Type.Optional(withDefault(Duration, "30s")),
    idle: Type.Optional(withDefault(Duration, "60s")),
  }, strict)),
  keep_alive: Type.Optional(Type.Object({
    connections: Type.Optional(Type.Integer({ minimum: 1, description: "Connections kept per target.", default: 64 })),
    idle: Type.Optional(withDefault(Duration, "30s")),
  }, strict)),
  health_check: Type.Optional(Type.Object({
    path: Type.String({ pattern: "^/", "x-error": "must start with /" }),
    interval: Type.Optional(withDefault(Duration, "5s")),
    timeout: Type.Optional(withDefault(Duration, "2s")),
    healthy_after: Type.Optional(Type.Integer({ minimum: 1, default: 2 })),
    unhealthy_after: Type.Optional(Type.Integer({ minimum: 1, default: 2 })),
  }, strict)),
  passive: Type.Optional(Type.Object({
    failures: Type.Optional(Type.Integer({ minimum: 1, description: "Consecutive failures that eject a target.", default: 3 })),
    eject_for: Type.Optional(withDefault(Duration, "30s")),
  }, strict)),
  tls: Type.Optional(Type.Object({
    ca: Type.Optional(FilePath),
    cert: Type.Optional(FilePath),
    key: Type.Optional(FilePath),
    server_name: Type.Optional(Type.String()),
    verify: Type.Optional(Type.Boolean({ description: "Verify the upstream's certificate.", default: true })),
  }, strict)),
}, strict);

export const LIMIT_ALGORITHMS = ["sliding_window", "sliding_log", "token_bucket", "gcra", "fixed_window", "quota", "concurrency", "hold"] as const;
export const EXCEED_ACTIONS = ["throttle", "delay", "deny", "challenge", "tarpit", "drop"] as const;
const StorePolicy = oneOf(["open", "closed"] as const, "is not a store failure policy (open, closed)",
  "When the limit store cannot answer: open = fall back to local memory limits (logged), closed = 503.");
const Algorithm = oneOf(LIMIT_ALGORITHMS, `is not an algorithm (${LIMIT_ALGORITHMS.join(", ")})`);
const ExceedAction = oneOf(EXCEED_ACTIONS, `is not an action (${EXCEED_ACTIONS.join(", ")})`);
const Dimension = Type.String({
  pattern: "^(ip|ip_prefix|key_id|subject|session|route|global|asn|country|(header|query|body)\\.[A-Za-z0-9_.-]+)$",
  description: "What a limit counts per: ip, ip_prefix, key_id, subject, session, route, global, asn, country, header.NAME, query.NAME, body.FIELD.",
  "x-error": "is not a dimension (ip, ip_prefix, key_id, subject, session, route, global, asn, country, header.NAME, query.NAME, body.FIELD)",
});
const CostSource = Type.String({
  pattern: "^(query|header|body)\\.[A-Za-z0-9_.-]+$",
  "x-error": "is not a cost source (a number, or query.NAME, header.NAME, body.FIELD)",
});

/**
 * A media type the route accepts, without parameters (the gate ignores them, so `charset=`
 * here would promise a check that never happens), or the shorthand `json` or `form`.
 * Names follow RFC 6838 §4.2 (restricted-name), so a wildcard (`*`) is refused.
 */
const MediaType = Type.String({
  pattern: "^(json|form|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126})$",
  description: "A media type (type/subtype, no parameters), e.g. application/json, multipart/form-data; or json, form.",
  "x-error": "is not a media type (type/subtype without parameters, e.g. application/json, multipart/form-data; or the shorthands json, form)",
});

/** One rate limit. Which options apply depends on `algorithm` (compile.ts says which do not). */
const RateLimit = Type.Object({
  name: Name,
  algorithm: Type.Optional(withDefault(Algorithm, "sliding_window")),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: "Requests (or units) allowed per window, per period, in flight or held." })),
  window: Type.Optional(Duration),
  buckets: Type.Optional(Type.Integer({ minimum: 1, description: "sliding_window: sub-windows per window (default 1, the two-window counter)." })),
  burst: Type.Optional(Type.Integer({ minimum: 1, description: "token_bucket: bucket size; gcra: requests at once." })),
  rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "token_bucket / gcra: units per window (default window 1s)." })),
  per: Type.Optional(oneOf(["day", "month"] as const, "is not a quota period (day, month)")),
  time_zone: Type.Optional(Type.String({ minLength: 1, description: "quota: IANA time zone of the day or month (default UTC)." })),
  lease: Type.Optional(Duration),
  ttl: Type.Optional(Duration),
  key: Type.Array(Dimension, { minItems: 1, description: "The dimensions counted together, e.g. [ip] or [body.username]." }),
  on_exceed: Type.Optional(ExceedAction),
  max_delay: Type.Optional(Duration),
  tarpit_for: Type.Optional(Duration),
  count: Type.Optional(withDefault(oneOf(["all", "failures", "response_bytes"] as const, "is not a count mode (all, failures, response_bytes)"), "all")),
  failure_status: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { minItems: 1 })),
  reset_on_success: Type.Optional(Type.Boolean({ description: "Forget this limit's key after a 2xx answer." })),
  cost: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), CostSource], { description: "Units one request takes: a number, or read from query.NAME, header.NAME, body.FIELD." })),
  max_cost: Type.Optional(Type.Integer({ minimum: 1 })),
  default_cost: Type.Optional(Type.Integer({ minimum: 0 })),
  on_store_error: Type.Optional(StorePolicy),
  penalty: Type.Optional(Type.Object({
    ttl: Duration,
    block: Type.Optional(withDefault(oneOf(["ip", "prefix"] as const, "is not a penalty target (ip, prefix)"), "ip")),
  }, { ...strict, description: "Penalty box: a client that exceeds this limit is blocked (every route, every instance sharing Controls) for `ttl`." })),
}, strict);

const RateLimits = Type.Array(RateLimit, { description: "Rate limits of this route, all admitted together in one atomic step." });

const HoldRelease = Type.Union([Name, Type.Object({
  name: Name,
  amount: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal("all")])),
}, strict)], { description: "A hold another route raises, lowered (by 1, an amount, or all) when this route answers 2xx." });

const Route = Type.Object({
  id: Type.Optional(Name),
  path: Type.String({ pattern: "^/", description: "Path pattern: /users/:id, /files/*.", "x-error": "must start with /" }),
  methods: Type.Array(Method, { minItems: 1 }),
  upstream: Name,
  on_error: Type.Optional(withDefault(oneOf(["open", "closed"] as const, "is not a failure policy (open, closed)", "What a failing layer means: pass (open) or 503 (closed)."), "closed")),
  cors: Type.Optional(Cors),
  limits: Type.Optional(SizeLimits),
  ip: Type.Optional(IpRules),
  body: Type.Optional(Type.Object({
    view_bytes: Type.Optional(withDefault(Size, 0)),
    content_types: Type.Optional(Type.Array(MediaType, {
      minItems: 1,
      description: "Media types the route accepts; a request body of another type (or none declared) gets 415. Unset: any.",
    })),
  }, { ...strict, description: "The request body: how much to buffer for the layers that read it, and which media types are accepted." })),
  account: Type.Optional(Type.String({
    pattern: "^(body|query|header|param)\\.[A-Za-z0-9_.-]+$",
    description: "Where the targeted account is named, e.g. body.username.",
    "x-error": "is not a field reference (body.NAME, query.NAME, header.NAME, param.NAME)",
  })),
  rate_limits: Type.Optional(RateLimits),
  rate_limit_group: Type.Optional(Name),
  release_hold: Type.Optional(HoldRelease),
}, strict);

const RateLimitSettings = Type.Object({
  algorithm: Type.Optional(withDefault(Algorithm, "sliding_window")),
  on_exceed: Type.Optional(withDefault(ExceedAction, "throttle")),
  on_store_error: Type.Optional(withDefault(StorePolicy, "open")),
  ip_v6_prefix: Type.Optional(Type.Integer({ minimum: 1, maximum: 128, default: 56, description: "Prefix an IPv6 client is counted by for the `ip` dimension." })),
  ip_prefix: Type.Optional(Type.Object({
    v4: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: 24 })),
    v6: Type.Optional(Type.Integer({ minimum: 1, maximum: 128, default: 56 })),
  }, { ...strict, description: "Prefix lengths of the `ip_prefix` dimension." })),
  session_cookie: Type.Optional(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", default: "session", "x-error": "is not a cookie name" })),
  headers: Type.Optional(Type.Boolean({
    default: true,
    description: "Whether answers of limited routes carry RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers-11); false keeps the limits to yourself. A refusal always carries Retry-After.",
  })),
  tiers: Type.Optional(Type.Object({
    trusted: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 2 })),
    normal: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1 })),
    suspicious: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 0.5 })),
  }, { ...strict, description: "Factor each limit is multiplied by for a request of the risk tier." })),
  allow: Type.Optional(Type.Array(Type.Object({
    name: Name,
    cidrs: Type.Optional(Type.Array(Cidr)),
    key_ids: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    limits: Type.Optional(Type.Array(Name, { minItems: 1, description: "The limits bypassed (default all)." })),
  }, strict), { description: "Clients that bypass the limits they name: always visible in the log, never overridden." })),
}, { ...strict, description: "Settings every route's rate_limits share." });

const Plan = Type.Object({
  rate_limits: RateLimits,
  routes: Type.Optional(Type.Array(Name, { minItems: 1, description: "Route ids the plan's limits apply on (default every route)." })),
}, strict);

const LimitStore = Type.Object({
  driver: Type.Optional(withDefault(oneOf(["memory", "redis"] as const, "is not a store driver (memory, redis)"), "memory")),
  max_bytes: Type.Optional(withDefault(Size, "64mb")),
  host: Type.Optional(Type.String({ minLength: 1 })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  cluster: Type.Optional(Type.Array(Type.Object({ host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }) }, strict), { minItems: 1 })),
  username: Type.Optional(Type.String({ minLength: 1 })),
  password: Type.Optional(Type.String({ minLength: 1, "x-secret": true })),
  db: Type.Optional(Type.Integer({ minimum: 0 })),
  key_prefix: Type.Optional(Type.String({ minLength: 1 })),
  timeout: Type.Optional(withDefault(Duration, "100ms")),
  connect_timeout: Type.Optional(withDefault(Duration, "1s")),
}, { ...strict, description: "Where rate-limit counters live: memory (one instance) or redis (shared)." });

/** Controls replicate over pub/sub, which a Redis Cluster does not shard: one server (host/port), no cluster. */
const ControlsStore = Type.Object({
  driver: Type.Optional(withDefault(oneOf(["memory", "redis"] as const, "is not a store driver (memory, redis)"), "memory")),
  host: Type.Optional(Type.String({ minLength: 1 })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  username: Type.Optional(Type.String({ minLength: 1 })),
  password: Type.Optional(Type.String({ minLength: 1, "x-secret": true })),
  db: Type.Optional(Type.Integer({ minimum: 0 })),
  key_prefix: Type.Optional(Type.String({ minLength: 1, description: "Prepended to every key and to the pub/sub channel (default rampart:)." })),
  timeout: Type.Optional(withDefault(Duration, "1s")),
  connect_timeout: Type.Optional(withDefault(Duration, "1s")),
  ready_timeout: Type.Optional(withDefault(Duration, "5s")),
}, { ...strict, description: "Where operator blocks and the penalty box live: memory (one instance) or redis (every instance, changes pushed over pub/sub)." });

/** Capacity of one upstream, as the adaptive controller measures it. */
const AdaptiveBounds = {
  target_latency: Type.Optional(withDefault(Duration, "200ms")),
  max_in_flight: Type.Optional(Type.Integer({ minimum: 1, default: 100, description: "Requests in flight to the upstream at which it is at capacity." })),
};

const Adaptive = Type.Object({
  enabled: Type.Optional(Type.Boolean({ default: true, description: "Set false to keep the section but turn adaptive limits and shedding off." })),
  ...AdaptiveBounds,
  max_event_loop_delay: Type.Optional(withDefault(Duration, "100ms")),
  min_factor: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.1, description: "The lowest factor limits are scaled down to." })),
  max_change_per_second: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.1, default: 0.1, description: "How fast the factor may move (at most 0.1, i.e. 10 % of the limits per second)." })),
  high_water: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 0.8, description: "Load (1 = at a bound) above which limits shrink." })),
  low_water: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 0.5, description: "Load below which limits recover; between the two they hold." })),
  shed: Type.Optional(Type.Boolean({ default: true, description: "Past capacity answer 503 to suspicious, then normal clients; trusted ones are always served." })),
  upstreams: Type.Optional(Type.Record(Type.String({ pattern: "^[A-Za-z0-9_.-]+$" }), Type.Object(AdaptiveBounds, strict), {
    additionalProperties: false,
    description: "Per-upstream target_latency and max_in_flight.",
  })),
}, { ...strict, description: "Adaptive limits and load shedding: limits of normal and suspicious clients shrink while an upstream or the gateway is overloaded." });

const Logging = Type.Object({
  level: Type.Optional(withDefault(oneOf(["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const, "is not a log level (trace, debug, info, warn, error, fatal, silent)"), "info")),
  destination: Type.Optional(Type.String({ minLength: 1, description: "stdout, stderr or a file path.", default: "stdout" })),
  debug_errors: Type.Optional(Type.Boolean({ description: "Put decision reasons in error bodies (never in production).", default: false })),
}, strict);

const Admin = Type.Object({
  enabled: Type.Optional(Type.Boolean({ default: true })),
  address: Type.Optional(Type.String({ minLength: 1, description: "Address of the admin listener; anything but loopback needs tokens.", default: "127.0.0.1" })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 9090 })),
  tokens: Type.Optional(Type.Array(Type.Object({
    name: Name,
    token: Type.String({ minLength: 16, "x-error": "is too short for a token (16 characters at least)", "x-secret": true }),
  }, strict))),
}, strict);

export const RampartSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  mode: Type.Optional(withDefault(oneOf(["enforce", "dry-run"] as const, "is not a mode (enforce, dry-run)", "dry-run logs what would have happened and lets every request pass."), "enforce")),
  strict_routes: Type.Optional(Type.Boolean({ description: "Unknown paths get 404 (default true).", default: true })),
  default_upstream: Type.Optional(Name),
  trusted_proxies: Type.Optional(Type.Array(Cidr, { description: "Proxies whose X-Forwarded-For is believed." })),
  listeners: Type.Array(Listener, { minItems: 1 }),
  upstreams: Type.Record(Type.String({ pattern: "^[A-Za-z0-9_.-]+$" }), Upstream, { additionalProperties: false }),
  routes: Type.Array(Route),
  limits: Type.Optional(SizeLimits),
  ip: Type.Optional(IpRules),
  rate_limits: Type.Optional(RateLimitSettings),
  plans: Type.Optional(Type.Record(Type.String({ pattern: "^[A-Za-z0-9_.-]+$" }), Plan, { additionalProperties: false, description: "Limits for API keys by plan (identity.plan)." })),
  stores: Type.Optional(Type.Object({ limits: Type.Optional(LimitStore), controls: Type.Optional(ControlsStore) }, strict)),
  adaptive: Type.Optional(Adaptive),
  risk: Type.Optional(Type.Object({
    suspicious_at: Type.Optional(Type.Number({ description: "Risk score from which a request is suspicious.", default: 50 })),
    blocked_at: Type.Optional(Type.Number({ description: "Risk score from which a request is denied.", default: 100 })),
  }, strict)),
  logging: Type.Optional(Logging),
  admin: Type.Optional(Admin),
  shutdown: Type.Optional(Type.Object({
    drain_timeout: Type.Optional(withDefault(Duration, "30s")),
  }, { ...strict, description: "On SIGTERM, in-flight requests get this long to finish." })),
}, { ...strict, title: "rampart.yaml"});

/** What users write in rampart.yaml (snake_case, everything optional that has a default). */
export type RampartOptions = Static<typeof RampartSchema>;

export type { TSchema };
