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
  max_header_bytes: Type.Optional(Size),
  max_url_bytes: Type.Optional(Size),
  max_body_bytes: Type.Optional(Size),
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
  min_version: Type.Optional(oneOf(["TLSv1.2", "TLSv1.3"] as const, "is not a TLS version (TLSv1.2, TLSv1.3)")),
  client_ca: Type.Optional(FilePath),
  request_client_cert: Type.Optional(Type.Boolean()),
}, strict);

const Listener = Type.Object({
  name: Type.Optional(Name),
  address: Type.Optional(Type.String({ minLength: 1, description: "Address to bind (default 0.0.0.0)." })),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  tls: Type.Optional(ListenerTls),
  refuse_plain_http: Type.Optional(Type.Boolean({ description: "Answer every plain-HTTP request with 403 (APIs should not redirect)." })),
  hsts: Type.Optional(Type.Union([Type.Literal(false), Type.Object({
    max_age: Type.Optional(Duration),
    include_subdomains: Type.Optional(Type.Boolean()),
  }, strict)])),
  timeouts: Type.Optional(Type.Object({
    headers: Type.Optional(Duration),
    request: Type.Optional(Duration),
    keep_alive: Type.Optional(Duration),
  }, strict)),
  max_connections: Type.Optional(Type.Integer({ minimum: 1 })),
  max_connections_per_ip: Type.Optional(Type.Integer({ minimum: 1 })),
}, strict);

const Upstream = Type.Object({
  targets: Type.Array(Type.String({ pattern: "^https?://", "x-error": "is not an http:// or https:// URL" }), { minItems: 1 }),
  balance: Type.Optional(oneOf(["round_robin", "least_in_flight"] as const, "is not a balancing method (round_robin, least_in_flight)")),
  timeouts: Type.Optional(Type.Object({
    connect: Type.Optional(Duration),
    response_headers: Type.Optional(Duration),
    idle: Type.Optional(Duration),
  }, strict)),
  keep_alive: Type.Optional(Type.Object({
    connections: Type.Optional(Type.Integer({ minimum: 1, description: "Connections kept per target." })),
    idle: Type.Optional(Duration),
  }, strict)),
  health_check: Type.Optional(Type.Object({
    path: Type.String({ pattern: "^/", "x-error": "must start with /" }),
    interval: Type.Optional(Duration),
    timeout: Type.Optional(Duration),
    healthy_after: Type.Optional(Type.Integer({ minimum: 1 })),
    unhealthy_after: Type.Optional(Type.Integer({ minimum: 1 })),
  }, strict)),
  passive: Type.Optional(Type.Object({
    failures: Type.Optional(Type.Integer({ minimum: 1, description: "Consecutive failures that eject a target." })),
    eject_for: Type.Optional(Duration),
  }, strict)),
  tls: Type.Optional(Type.Object({
    ca: Type.Optional(FilePath),
    cert: Type.Optional(FilePath),
    key: Type.Optional(FilePath),
    server_name: Type.Optional(Type.String()),
    verify: Type.Optional(Type.Boolean()),
  }, strict)),
}, strict);

const Route = Type.Object({
  id: Type.Optional(Name),
  path: Type.String({ pattern: "^/", description: "Path pattern: /users/:id, /files/*.", "x-error": "must start with /" }),
  methods: Type.Array(Method, { minItems: 1 }),
  upstream: Name,
  on_error: Type.Optional(oneOf(["open", "closed"] as const, "is not a failure policy (open, closed)")),
  cors: Type.Optional(Cors),
  limits: Type.Optional(SizeLimits),
  ip: Type.Optional(IpRules),
  body: Type.Optional(Type.Object({
    view_bytes: Size,
  }, { ...strict, description: "Buffer the start of the body for layers that read it." })),
  account: Type.Optional(Type.String({
    pattern: "^(body|query|header|param)\\.[A-Za-z0-9_.-]+$",
    description: "Where the targeted account is named, e.g. body.username.",
    "x-error": "is not a field reference (body.NAME, query.NAME, header.NAME, param.NAME)",
  })),
}, strict);

const Logging = Type.Object({
  level: Type.Optional(oneOf(["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const, "is not a log level")),
  destination: Type.Optional(Type.String({ minLength: 1, description: "stdout, stderr or a file path." })),
  debug_errors: Type.Optional(Type.Boolean({ description: "Put decision reasons in error bodies (never in production)." })),
}, strict);

const Admin = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  address: Type.Optional(Type.String({ minLength: 1 })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  tokens: Type.Optional(Type.Array(Type.Object({
    name: Name,
    token: Type.String({ minLength: 16, "x-error": "is too short for a token (16 characters at least)", "x-secret": true }),
  }, strict))),
}, strict);

export const RampartSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  mode: Type.Optional(oneOf(["enforce", "dry-run"] as const, "is not a mode (enforce, dry-run)")),
  strict_routes: Type.Optional(Type.Boolean({ description: "Unknown paths get 404 (default true)." })),
  default_upstream: Type.Optional(Name),
  trusted_proxies: Type.Optional(Type.Array(Cidr, { description: "Proxies whose X-Forwarded-For is believed." })),
  listeners: Type.Array(Listener, { minItems: 1 }),
  upstreams: Type.Record(Type.String({ pattern: "^[A-Za-z0-9_.-]+$" }), Upstream, { additionalProperties: false }),
  routes: Type.Array(Route),
  limits: Type.Optional(SizeLimits),
  ip: Type.Optional(IpRules),
  risk: Type.Optional(Type.Object({
    suspicious_at: Type.Optional(Type.Number()),
    blocked_at: Type.Optional(Type.Number()),
  }, strict)),
  logging: Type.Optional(Logging),
  admin: Type.Optional(Admin),
  shutdown: Type.Optional(Type.Object({ drain_timeout: Type.Optional(Duration) }, strict)),
}, { ...strict, title: "rampart.yaml"});

/** What users write in rampart.yaml (snake_case, everything optional that has a default). */
export type RampartOptions = Static<typeof RampartSchema>;

export type { TSchema };
