/**
 * The bench's baseline proxy: the smallest reasonable reverse proxy on undici — a keep-alive
 * Pool, the request streamed up, the response streamed back, hop-by-hop headers dropped. No
 * checks, no logging. Shared by the plain baseline and the rate-limiter-flexible reference, so
 * both measure the same proxying.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Pool } from "undici";

const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]);

/** A pool to the upstream URL given as the script's first argument. */
export function upstreamPool(script: string): Pool {
  const upstream = process.argv[2];
  if (!upstream) throw new Error(`usage: ${script} http://127.0.0.1:PORT`);
  return new Pool(upstream, { connections: 64, keepAliveTimeout: 30_000 });
}

/** Proxies one request through `pool`; 502 when the upstream fails. */
export function proxyRequest(pool: Pool, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
}

/** Listens on 127.0.0.1 (any port), prints `{port}` for the bench, stops on SIGTERM. */
export function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): void {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address && typeof address === "object") process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
