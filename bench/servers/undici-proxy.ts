/**
 * Bench baseline: the smallest reasonable reverse proxy on undici — a keep-alive Pool, the
 * request streamed up, the response streamed back, hop-by-hop headers dropped. No checks, no
 * logging: what any proxy costs before it decides anything.
 */
import { createServer } from "node:http";
import { Pool } from "undici";

const upstream = process.argv[2];
if (!upstream) throw new Error("usage: undici-proxy.ts http://127.0.0.1:PORT");
const pool = new Pool(upstream, { connections: 64, keepAliveTimeout: 30_000 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]);

const server = createServer((req, res) => {
  const headers: Record<string, string | string[]> = {};
  for (const name in req.headers) if (!HOP.has(name)) headers[name] = req.headers[name] as string | string[];
  pool.request({
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
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object") process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
