/**
 * The resolved configuration: what compile.ts makes of a validated rampart.yaml. Defaults
 * applied, durations in ms, sizes in bytes, CIDRs parsed, paths resolved against the config
 * file's folder, everything frozen. The hot path reads only this, never the raw options.
 */

import type { Mode, RiskThresholds, Route } from "../engine/index.ts";
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
  readonly account: FieldRef | undefined;
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
}
