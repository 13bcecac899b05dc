/** The demo API: a small realistic API (login, otp, users, products, cart) for Rampart to protect. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { loginHandler, otpHandler } from "./auth.ts";
import { addCartItemHandler, removeCartItemHandler } from "./cart.ts";
import { productsHandler, userHandler } from "./catalog.ts";
import { createDemoData, type DemoData } from "./data.ts";
import { sendJson, sendProblem } from "./http.ts";
import { createDemoRouter, type DemoRoute } from "./router.ts";

export interface DemoApiOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1: the demo is meant to sit behind the gateway, not on the network. */
  readonly host?: string;
}

export interface DemoApi {
  /** e.g. `http://127.0.0.1:41234` (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes idle and active connections. */
  close(): Promise<void>;
}

function demoRoutes(data: DemoData): readonly DemoRoute[] {
  return [
    { pattern: "/auth/login", methods: { POST: loginHandler(data) } },
    { pattern: "/auth/otp", methods: { POST: otpHandler() } },
    { pattern: "/users/:id", methods: { GET: userHandler(data) } },
    { pattern: "/products", methods: { GET: productsHandler(data) } },
    { pattern: "/cart/items", methods: { POST: addCartItemHandler(data) } },
    { pattern: "/cart/items/:id", methods: { DELETE: removeCartItemHandler(data) } },
    { pattern: "/health", methods: { GET: ({ res }) => sendJson(res, 200, { status: "ok" }) } },
  ];
}

/** Starts the demo API; resolves once it listens. */
export async function startDemoApi(options: DemoApiOptions): Promise<DemoApi> {
  const host = options.host ?? "127.0.0.1";
  const lookup = createDemoRouter(demoRoutes(await createDemoData()));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://demo.invalid");
    const found = lookup(req.method ?? "GET", url.pathname);
    if (found.kind === "none") return sendProblem(res, 404);
    if (found.kind === "method") return sendProblem(res, 405, undefined, { allow: found.allow });
    await found.handler({ req, res, params: found.params, query: url.searchParams });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // A malformed escape in a path parameter is the only expected throw: answer rather than crash.
      if (!res.headersSent) sendProblem(res, 400);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
