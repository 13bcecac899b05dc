/** What went wrong toward an upstream, and the status the client gets for it. */

/** Failures that count toward passive ejection. */
export type UpstreamFailure = "connect" | "timeout" | "reset";

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

/**
 * Classifies an undici error. `connected` says whether the request reached a connection
 * (undici calls onRequestStart only once the TCP/TLS connection is up): anything before that is a
 * connect failure (refused, unreachable, TLS verification), anything after a reset.
 */
export function classifyFailure(error: Error, connected: boolean): UpstreamFailure {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && TIMEOUT_CODES.has(code)) return "timeout";
  return connected ? "reset" : "connect";
}

/** 504 when the upstream was too slow (connect, response headers), 502 when it failed. */
export function statusForFailure(failure: UpstreamFailure): 502 | 504 {
  return failure === "timeout" ? 504 : 502;
}

const ABORT_MESSAGES = {
  client_gone: "the client went away",
  body_too_large: "the request body exceeded the size limit",
  bad_response: "the upstream's response headers cannot be relayed",
} as const;

/** The reason undici gets when the proxy itself aborts an upstream request. */
export class ProxyAbortError extends Error {
  readonly code = "RAMPART_UPSTREAM_ABORTED";
  constructor(why: keyof typeof ABORT_MESSAGES) {
    super(ABORT_MESSAGES[why]);
    this.name = "ProxyAbortError";
  }
}
