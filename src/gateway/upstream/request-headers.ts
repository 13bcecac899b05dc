/** Builds the header list sent upstream: the client's end-to-end headers plus the proxy's own. */
import { connectionTokens, HOP_BY_HOP } from "./hop-by-hop.ts";

const PASS = 0;
const DROP = 1;
const CONNECTION = 2;
const HOST = 3;
const CONTENT_LENGTH = 4;
const TRANSFER_ENCODING = 5;

/** What each special (lowercased) header name means to the proxy; any other name passes. */
const SPECIAL = new Map<string, number>();
for (const name of HOP_BY_HOP) SPECIAL.set(name, DROP);
// A client can forge these to spoof its address, scheme, host or request id: the gateway alone
// sets them, from what it derived itself (client IP through trusted proxies only).
for (const name of ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-request-id"]) {
  SPECIAL.set(name, DROP);
}
// 100-continue was already answered by our own server; undici refuses to send Expect itself.
SPECIAL.set("expect", DROP);
SPECIAL.set("connection", CONNECTION);
// The upstream gets its own host (as nginx does by default): it may route or sign by it. The
// client's Host travels in X-Forwarded-Host and Forwarded instead.
SPECIAL.set("host", HOST);
SPECIAL.set("content-length", CONTENT_LENGTH);
SPECIAL.set("transfer-encoding", TRANSFER_ENCODING);

/** What the proxy learned about the request while copying its headers. */
export interface RequestHead {
  /** The client's Host header, or undefined (HTTP/1.0 without Host). */
  host: string | undefined;
  /** Declared Content-Length, or -1 when none was sent. */
  contentLength: number;
  /** The body is chunked (Transfer-Encoding), so its length is unknown until it ends. */
  chunked: boolean;
}

/** The proxy's view of the request, for X-Forwarded-* and Forwarded. */
export interface ForwardingFacts {
  readonly clientIp: string;
  readonly forwardedFor: string;
  readonly protocol: "http" | "https";
  readonly requestId: string;
}

/**
 * Copies `rawHeaders` (name/value pairs, original case and order, duplicates kept) without the
 * hop-by-hop headers and the ones the proxy sets, then appends X-Forwarded-For/-Proto/-Host,
 * Forwarded and X-Request-Id. Fills `head` with what the body handling needs.
 */
export function buildUpstreamHeaders(rawHeaders: readonly string[], facts: ForwardingFacts, head: RequestHead): string[] {
  const out: string[] = [];
  let listed: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const kind = SPECIAL.get(name.toLowerCase()) ?? PASS;
    if (kind === PASS) {
      out.push(name, value);
    } else if (kind === CONTENT_LENGTH) {
      out.push(name, value);
      head.contentLength = Number(value);
    } else if (kind === HOST) {
      head.host ??= value;
    } else if (kind === TRANSFER_ENCODING) {
      head.chunked = true;
    } else if (kind === CONNECTION) {
      for (const token of connectionTokens(value)) {
        if (SPECIAL.get(token) === undefined) (listed ??= []).push(token);
      }
    }
  }
  // Rare: the client named end-to-end-looking headers as hop-by-hop in Connection.
  const headers = listed === undefined ? out : withoutListed(out, listed);
  headers.push("x-forwarded-for", facts.forwardedFor, "x-forwarded-proto", facts.protocol);
  let forwarded = `for=${forwardedNodeOf(facts.clientIp)};proto=${facts.protocol}`;
  if (head.host !== undefined) {
    headers.push("x-forwarded-host", head.host);
    forwarded += `;host=${forwardedHostOf(head.host)}`;
  }
  headers.push("forwarded", forwarded, "x-request-id", facts.requestId);
  return headers;
}

function withoutListed(pairs: readonly string[], listed: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    if (!listed.includes(name.toLowerCase())) kept.push(name, pairs[i + 1] as string);
  }
  return kept;
}

// Consecutive requests mostly share the client address and the Host (keep-alive, one API host):
// the last value of each is remembered, sparing a RegExp test and a quoting per request.
let lastNode: string | undefined;
let lastNodeValue = "";
let lastHost: string | undefined;
let lastHostValue = "";

function forwardedNodeOf(ip: string): string {
  if (ip !== lastNode) {
    lastNodeValue = forwardedNode(ip);
    lastNode = ip;
  }
  return lastNodeValue;
}

function forwardedHostOf(host: string): string {
  if (host !== lastHost) {
    lastHostValue = forwardedValue(host);
    lastHost = host;
  }
  return lastHostValue;
}

/** RFC 7239 §6: an IPv6 node is quoted and bracketed; IPv4 and obfuscated names stay tokens. */
function forwardedNode(ip: string): string {
  return ip.includes(":") ? `"[${ip}]"` : forwardedValue(ip);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A Forwarded parameter value: a token as is, anything else (e.g. `host:8080`) quoted. */
function forwardedValue(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, "\\$&")}"`;
}
