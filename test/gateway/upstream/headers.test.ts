/** Upstream request headers and client response headers: what is dropped, kept and set. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { toClientHeaders } from "../../../src/gateway/upstream/hop-by-hop.ts";
import { buildUpstreamHeaders, type RequestHead } from "../../../src/gateway/upstream/request-headers.ts";

const facts = { clientIp: "203.0.113.9", forwardedFor: "198.51.100.1, 203.0.113.9", protocol: "https" as const, requestId: "r1" };

function build(raw: string[], overrides: Partial<typeof facts> = {}): { headers: string[]; head: RequestHead } {
  const head: RequestHead = { host: undefined, contentLength: -1, chunked: false };
  return { headers: buildUpstreamHeaders(raw, { ...facts, ...overrides }, head), head };
}

function pairs(headers: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < headers.length; i += 2) out.push([headers[i] as string, headers[i + 1] as string]);
  return out;
}

test("end-to-end headers keep their case, order and duplicates; the proxy's own come last", () => {
  const { headers, head } = build(["Host", "api.example", "Accept", "a", "X-Multi", "1", "X-Multi", "2", "Content-Length", "12"]);
  assert.deepEqual(pairs(headers), [
    ["Accept", "a"], ["X-Multi", "1"], ["X-Multi", "2"], ["Content-Length", "12"],
    ["x-forwarded-for", "198.51.100.1, 203.0.113.9"], ["x-forwarded-proto", "https"], ["x-forwarded-host", "api.example"],
    ["forwarded", "for=203.0.113.9;proto=https;host=api.example"], ["x-request-id", "r1"],
  ]);
  assert.deepEqual(head, { host: "api.example", contentLength: 12, chunked: false });
});

test("hop-by-hop, forged forwarding headers, Expect and the names Connection lists are dropped", () => {
  const { headers, head } = build([
    "Connection", "keep-alive, X-Secret-Hop", "X-Secret-Hop", "1", "Keep-Alive", "timeout=5", "TE", "trailers",
    "Trailer", "X-T", "Transfer-Encoding", "chunked", "Upgrade", "websocket", "Proxy-Authorization", "Basic x",
    "Proxy-Connection", "keep-alive", "Proxy-Authenticate", "Basic", "X-Forwarded-For", "6.6.6.6",
    "X-Forwarded-Proto", "http", "X-Forwarded-Host", "evil", "Forwarded", "for=6.6.6.6", "X-Request-Id", "forged",
    "Expect", "100-continue", "X-Kept", "yes",
  ]);
  assert.deepEqual(pairs(headers).slice(0, 1), [["X-Kept", "yes"]]);
  assert.equal(headers.length, 2 + 8); // X-Kept plus the four the proxy sets (no Host, so no X-Forwarded-Host)
  assert.equal(head.chunked, true);
  assert.equal(head.host, undefined);
});

test("Forwarded quotes IPv6 nodes in brackets and any non-token host", () => {
  const { headers } = build(["Host", "[::1]:8443"], { clientIp: "2001:db8::7" });
  const forwarded = pairs(headers).find(([name]) => name === "forwarded")?.[1];
  assert.equal(forwarded, 'for="[2001:db8::7]";proto=https;host="[::1]:8443"');
});

test("response headers lose hop-by-hop ones and gain the gateway's, which win", () => {
  const headers = toClientHeaders({
    connection: "close, x-hop", "x-hop": "1", "keep-alive": "timeout=5", "transfer-encoding": "chunked",
    "proxy-authenticate": "Basic", trailer: "x-t", upgrade: "h2c", "content-type": "text/plain", "ratelimit": "upstream",
  }, { ratelimit: "gateway", "strict-transport-security": "max-age=1" });
  assert.deepEqual(headers, { "content-type": "text/plain", ratelimit: "gateway", "strict-transport-security": "max-age=1" });
});
