/** Upstream pools (balancing, health checks, passive ejection) and forwarding one request to them. */

export interface TargetHealth {
  readonly origin: string;
  readonly healthy: boolean;
  /** Why it is out of rotation: failed health checks, or passive ejection until a time. */
  readonly reason: "ok" | "health_check" | "ejected";
  readonly inFlight: number;
}

export interface UpstreamPool {
  readonly name: string;
  /** Health of every target, for /readyz and the admin API. */
  health(): readonly TargetHealth[];
  /** At least one target can take traffic. */
  isAvailable(): boolean;
  /**
   * Stops health checks and closes kept-alive connections, letting in-flight requests finish for
   * up to `graceMs` (default 5 s) before cutting them.
   */
  close(graceMs?: number): Promise<void>;
}

export interface UpstreamPools {
  get(name: string): UpstreamPool | undefined;
  all(): readonly UpstreamPool[];
  close(): Promise<void>;
}

export interface ForwardOptions {
  readonly pool: UpstreamPool;
  /** The client address (derived through trusted proxies), for `Forwarded: for=`. */
  readonly clientIp: string;
  /**
   * The exact X-Forwarded-For value to send: the trusted chain plus the peer when the peer is a
   * trusted proxy, only the client address otherwise (a forged header from a client is dropped).
   */
  readonly forwardedFor: string;
  readonly protocol: "http" | "https";
  /** Body bytes already read for the body view; sent first, then the rest of `req` is streamed. */
  readonly bodyPrefix: Uint8Array | undefined;
  /** Headers the answer must also carry (RateLimit, HSTS, CORS). */
  readonly extraHeaders: Readonly<Record<string, string>> | undefined;
  /** Body bytes beyond which the upload is cut with 413 (chunked bodies have no declared length). */
  readonly maxBodyBytes: number;
  /** The request id, sent upstream as X-Request-Id. */
  readonly requestId: string;
}

export interface ForwardResult {
  /**
   * Status sent to the client (a 502/504 problem when the upstream failed; 499 when the client
   * left before any answer was sent).
   */
  readonly status: number;
  /** Time from dispatch to the upstream's response headers (undefined when it never answered). */
  readonly upstreamMs: number | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** The client went away: the upstream request was aborted. */
  readonly aborted: boolean;
  /** What failed toward the upstream, for the log (undefined on success). */
  readonly error: "no_target" | "connect" | "timeout" | "reset" | "body_too_large" | undefined;
  readonly target: string | undefined;
}

export { createUpstreamPools } from "./pool.ts";
export { forward } from "./forward.ts";
export { UpstreamTlsFileError } from "./tls.ts";
