/** Which headers belong to one connection only (hop-by-hop) and how to strip them in both directions. */
import type { IncomingHttpHeaders } from "node:http";

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy Proxy-Connection and the proxy credentials):
 * they describe the client's connection to us, or ours to the upstream, and are never relayed.
 * Proxy-Authorization is here because credentials meant for this proxy must not leak to the upstream.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
]);

const HOP_BY_HOP_LIST: readonly string[] = [...HOP_BY_HOP];

/** Splits a Connection header value into the lowercased header names it lists. */
export function connectionTokens(value: string | readonly string[]): string[] {
  // The usual values list no other header: skip the split on the hot path.
  if (value === "keep-alive" || value === "close" || value === "Keep-Alive" || value === "Close") return [];
  const joined = typeof value === "string" ? value : value.join(",");
  const tokens: string[] = [];
  for (const part of joined.split(",")) {
    const token = part.trim().toLowerCase();
    if (token !== "") tokens.push(token);
  }
  return tokens;
}

/**
 * Removes hop-by-hop headers from an upstream response (in place: the object is ours, freshly
 * parsed by undici) and adds the gateway's own headers, which win over the upstream's.
 */
export function toClientHeaders(
  headers: IncomingHttpHeaders,
  extra: Readonly<Record<string, string>> | undefined,
): IncomingHttpHeaders {
  const connection = headers.connection;
  if (connection !== undefined) {
    // Names listed in Connection are hop-by-hop for this message too (RFC 9110 §7.6.1).
    for (const token of connectionTokens(connection)) delete headers[token];
  }
  for (const name of HOP_BY_HOP_LIST) {
    if (headers[name] !== undefined) delete headers[name];
  }
  if (extra !== undefined) {
    for (const name in extra) headers[name] = extra[name];
  }
  return headers;
}
