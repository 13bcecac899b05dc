/**
 * Bench reference: the minimal undici proxy of undici-proxy.ts with rate-limiter-flexible in
 * front — 3 RateLimiterMemory consumes per request (per IP, per /24, global), limits too high
 * to deny — as a user would wire it by hand. What the same 3 limits cost elsewhere.
 */
import { createServer } from "node:http";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { Pool } from "undici";

const upstream = process.argv[2];
if (!upstream) throw new Error("usage: undici-proxy-rlf.ts http://127.0.0.1:PORT");
const pool = new Pool(upstream, { connections: 64, keepAliveTimeout: 30_000 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]);
const HUGE = 1_000_000_000;
const perIp = new RateLimiterMemory({ keyPrefix: "ip", points: HUGE, duration: 60 });
const perPrefix = new RateLimiterMemory({ keyPrefix: "prefix", points: HUGE, duration: 60 });
const everyone = new RateLimiterMemory({ keyPrefix: "global", points: HUGE, duration: 3600 });

function prefixOf(ip: string): string {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  return v4.includes(".") ? `${v4.slice(0, v4.lastIndexOf("."))}.0/24` : ip;
}

const server = createServer((req, res) => {
  const ip = req.socket.remoteAddress ?? "";
  Promise.all([perIp.consume(ip), perPrefix.consume(prefixOf(ip)), everyone.consume("all")]).then(() => {
    const headers: Record<string, string | string[]> = {};
    for (const name in req.headers) if (!HOP.has(name)) headers[name] = req.headers[name] as string | string[];
    return pool.request({
      method: req.method as "GET",
      path: req.url ?? "/",
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? null : req,
    }).then(({ statusCode, headers: upHeaders, body }) => {
      for (const name in upHeaders) if (!HOP.has(name)) res.setHeader(name, upHeaders[name] as string | string[]);
      res.statusCode = statusCode;
      body.pipe(res);
    }, () => {
      res.statusCode = 502;
      res.end();
    });
  }, (rejection: unknown) => {
    // rate-limiter-flexible rejects with a RateLimiterRes (not an Error) when a limit is spent.
    res.statusCode = rejection instanceof RateLimiterRes ? 429 : 500;
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object") process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
