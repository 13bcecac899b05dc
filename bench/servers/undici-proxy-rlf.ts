/**
 * Bench reference: the minimal undici proxy with rate-limiter-flexible in front — 3
 * RateLimiterMemory consumes per request (per IP, per /24, global), limits too high to deny —
 * as a user would wire it by hand. What the same 3 limits cost elsewhere.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { proxyRequest, serve, upstreamPool } from "./minimal-proxy.ts";

const pool = upstreamPool("undici-proxy-rlf.ts");
const HUGE = 1_000_000_000;
const perIp = new RateLimiterMemory({ keyPrefix: "ip", points: HUGE, duration: 60 });
const perPrefix = new RateLimiterMemory({ keyPrefix: "prefix", points: HUGE, duration: 60 });
const everyone = new RateLimiterMemory({ keyPrefix: "global", points: HUGE, duration: 3600 });

function prefixOf(ip: string): string {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  return v4.includes(".") ? `${v4.slice(0, v4.lastIndexOf("."))}.0/24` : ip;
}

serve((req, res) => {
  const ip = req.socket.remoteAddress ?? "";
  Promise.all([perIp.consume(ip), perPrefix.consume(prefixOf(ip)), everyone.consume("all")]).then(
    () => proxyRequest(pool, req, res),
    (rejection: unknown) => {
      // rate-limiter-flexible rejects with a RateLimiterRes (not an Error) when a limit is spent.
      res.statusCode = rejection instanceof RateLimiterRes ? 429 : 500;
      res.end();
    },
  );
});
