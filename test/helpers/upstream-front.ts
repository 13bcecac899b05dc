/** Test helpers for the upstream module: a config builder, a tiny front proxy and plain upstream servers. */
import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Server as TlsServer } from "node:tls";
import { after } from "node:test";
import type { UpstreamConfig } from "../../src/config/config.ts";
import { createUpstreamPools, forward, type ForwardOptions, type ForwardResult, type UpstreamPool, type UpstreamPools } from "../../src/gateway/upstream/index.ts";

/** An UpstreamConfig with the project defaults (common.md), overridable per test. */
export function upstreamConfig(targets: readonly string[], overrides: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return {
    name: "api",
    targets: targets.map((url) => {
      const parsed = new URL(url);
      return { origin: parsed.origin, basePath: parsed.pathname === "/" ? "" : parsed.pathname.replace(/\/$/, "") };
    }),
    balance: "round_robin",
    connectTimeoutMs: 5_000,
    responseHeadersTimeoutMs: 30_000,
    idleTimeoutMs: 60_000,
    connectionsPerTarget: 64,
    keepAliveIdleMs: 30_000,
    healthCheck: undefined,
    passiveFailures: 3,
    ejectForMs: 30_000,
    tls: undefined,
    ...overrides,
  };
}

export interface FrontOptions {
  readonly maxBodyBytes?: number;
  readonly extraHeaders?: Readonly<Record<string, string>>;
  /** Read the first body chunk in the front (as a body view would) and pass it as bodyPrefix. */
  readonly readPrefix?: boolean;
}

export interface Front {
  readonly url: string;
  readonly pools: UpstreamPools;
  readonly pool: UpstreamPool;
  readonly results: ForwardResult[];
  /** Resolves with the result of the n-th forwarded request (0-based), within a bounded wait. */
  result(index: number): Promise<ForwardResult>;
  close(): Promise<void>;
}

/** A node:http server whose handler calls forward() with a pool built by createUpstreamPools. */
export async function startFront(config: UpstreamConfig, options: FrontOptions = {}): Promise<Front> {
  const pools = createUpstreamPools(new Map([[config.name, config]]));
  const pool = pools.get(config.name);
  if (pool === undefined) throw new Error("pool missing");
  const results: ForwardResult[] = [];
  const waiters = new Map<number, (result: ForwardResult) => void>();
  let requestCount = 0;

  const proxy = (req: IncomingMessage, res: ServerResponse, bodyPrefix: Uint8Array | undefined): void => {
    const clientIp = req.socket.remoteAddress ?? "unknown";
    const forwardOptions: ForwardOptions = {
      pool,
      clientIp,
      forwardedFor: clientIp,
      protocol: "http",
      bodyPrefix,
      extraHeaders: options.extraHeaders,
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      requestId: `req-${++requestCount}`,
    };
    void forward(req, res, forwardOptions).then((result) => {
      const index = results.push(result) - 1;
      waiters.get(index)?.(result);
    });
  };
  const server = createServer((req, res) => {
    if (options.readPrefix === true && req.headers["content-length"] !== "0" && req.method !== "GET") {
      req.once("data", (chunk: Buffer) => {
        req.pause();
        proxy(req, res, chunk);
      });
    } else {
      proxy(req, res, undefined);
    }
  });
  const url = await listen(server);
  return {
    url,
    pools,
    pool,
    results,
    result: (index) => {
      const known = results[index];
      if (known !== undefined) return Promise.resolve(known);
      return withTimeout(new Promise((resolve) => waiters.set(index, resolve)), 10_000, `forward result #${index}`);
    },
    close: async () => {
      server.closeAllConnections();
      await Promise.all([new Promise((resolve) => server.close(resolve)), pools.close()]);
    },
  };
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Every TCP connection the server accepted. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** A plain upstream server on 127.0.0.1, port 0. */
export async function startUpstream(handler: RequestListener, server: Server = createServer()): Promise<TestServer> {
  const sockets: Socket[] = [];
  server.on("request", handler);
  server.on("connection", (socket: Socket) => sockets.push(socket));
  const url = await listen(server);
  return {
    url,
    port: Number(new URL(url).port),
    server,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port that refuses connections (bound once, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return Number(new URL(url).port);
}

export async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof TlsServer ? "https" : "http";
  return `${scheme}://127.0.0.1:${port}`;
}

/** Rejects with a named timeout when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

/** One request with node:http (no keep-alive), the whole answer read, bounded in time. */
export function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer | readonly (string | Buffer)[] } = {}): Promise<Reply> {
  return withTimeout(new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    const body = init.body;
    // An array is written piece by piece (chunked); a single body gets a Content-Length.
    if (Array.isArray(body)) {
      for (const part of body) req.write(part);
      req.end();
    } else {
      req.end(body);
    }
  }), 15_000, `${init.method ?? "GET"} ${url}`);
}

/**
 * Upstreams and fronts started by one test file, closed in reverse order by the `after` hook
 * this registers: a test never has to remember to close what it started.
 */
export function trackedServers(): {
  upstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer>;
  front(...args: Parameters<typeof startFront>): Promise<Front>;
} {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return {
    async upstream(handler) {
      const server = await startUpstream(handler);
      cleanups.push(() => server.close());
      return server;
    },
    async front(...args) {
      const started = await startFront(...args);
      cleanups.push(() => started.close());
      return started;
    },
  };
}
