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
 * The upstream response's headers without the hop-by-hop ones, plus the gateway's own headers,
 * which win over the upstream's. Copied into a fresh object rather than `delete`d in place:
 * deleting turns the object into a slow dictionary for everything that reads it next (writeHead).
 */
export function toClientHeaders(
  headers: IncomingHttpHeaders,
  extra: Readonly<Record<string, string>> | undefined,
): IncomingHttpHeaders {
  const connection = headers.connection;
  // Names listed in Connection are hop-by-hop for this message too (RFC 9110 §7.6.1).
  const listed = connection === undefined ? NONE : connectionTokens(connection);
  const out: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || (listed.length > 0 && listed.includes(name))) continue;
    out[name] = headers[name];
  }
  if (extra !== undefined) {
    for (const name in extra) out[name] = extra[name];
  }
  return out;
}

const NONE: readonly string[] = Object.freeze([]);
