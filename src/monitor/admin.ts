/** The admin listener: health, readiness, Prometheus metrics and operator blocks, behind named bearer tokens. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { AdminConfig } from "../config/config.ts";
import type { Block, BlockKind, Controls } from "../engine/index.ts";
import { codeInfo, type RampartCode } from "../errors.ts";
import { sendProblem } from "../http/problem.ts";
import { createAuthenticator } from "./admin-auth.ts";
import { blockToJson, isBlockKind, normalizeBlockValue, parseNewBlock } from "./block-input.ts";
import type { GatewayMetrics } from "./metrics.ts";

export interface Readiness {
  readonly ready: boolean;
  /** Each check by name: config, listeners, upstream:NAME, store:NAME. */
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>;
}

export interface AdminDeps {
  readonly metrics: GatewayMetrics;
  readonly readiness: () => Readiness;
  readonly controls: Controls;
  readonly logger: Logger;
  /** Clock for block listings (tests); default Date.now. */
  readonly now?: () => number;
}

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Warning logged once when the admin API starts without any token. */
export const WARN_ADMIN_NO_TOKENS: RampartCode = "RAMPART_WARN_ADMIN_NO_TOKENS";

/** Largest `POST /blocks` body read: a block is a few short fields. */
const MAX_BODY_BYTES = 16 * 1024;
const GET_ONLY = "GET, HEAD";

type Handler = (req: IncomingMessage, res: ServerResponse, operator: string) => Promise<void> | void;

interface Endpoint {
  readonly allow: string;
  readonly methods: Readonly<Record<string, Handler>>;
}

/**
 * Starts the admin listener (port 0 picks a free port; `url` has the bound one). Every
 * endpoint except `/healthz` needs `Authorization: Bearer <token>`, and the token's name is
 * the author of every change — the audit trail says who. Without tokens nothing but
 * `/healthz` answers, which is why a warning says so at start.
 */
export async function startAdmin(config: AdminConfig, deps: AdminDeps): Promise<AdminServer> {
  const authenticate = createAuthenticator(config.tokens);
  const now = deps.now ?? Date.now;
  if (config.tokens.size === 0) {
    const warning = codeInfo(WARN_ADMIN_NO_TOKENS);
    deps.logger.warn({ code: warning.code, help: warning.help }, warning.message);
  }

  const blocks: Endpoint = {
    allow: "GET, HEAD, POST",
    methods: {
      GET: (_req, res) => sendJson(res, 200, { blocks: deps.controls.listBlocks(now()).map(blockToJson) }),
      POST: async (req, res, operator) => {
        const body = await readJson(req, res);
        if (body === NO_BODY) return;
        const parsed = parseNewBlock(body, operator);
        if (!parsed.ok) return sendProblem(res, 400, undefined, parsed.detail);
        let block: Block;
        try {
          block = await deps.controls.addBlock(parsed.value);
        } catch (error) {
          // A store that refuses the value (its own validation) is the caller's mistake, not a 500.
          if (error instanceof Error && error.name === "InvalidBlockError") return sendProblem(res, 400, undefined, `value: ${error.message}`);
          throw error;
        }
        deps.logger.info(
          { event: "admin.block_added", operator, kind: block.kind, value: block.value, reason: block.reason, expires_at: block.expiresAt },
          "operator block added",
        );
        sendJson(res, 201, { block: blockToJson(block) });
      },
    },
  };
  const exact = new Map<string, Endpoint>([
    ["/readyz", { allow: GET_ONLY, methods: { GET: (_req, res) => sendReadiness(res, deps) } }],
    ["/metrics", { allow: GET_ONLY, methods: { GET: (_req, res) => sendMetrics(res, deps.metrics) } }],
    ["/blocks", blocks],
  ]);
  const oneBlock: Endpoint = {
    allow: "DELETE",
    methods: {
      DELETE: async (req, res, operator) => {
        const target = blockTarget(pathOf(req));
        if (!target.ok) return sendProblem(res, target.status, undefined, target.detail);
        const removed = await deps.controls.removeBlock(target.kind, target.value, operator);
        if (!removed) return sendProblem(res, 404, undefined, `no block on ${target.kind} ${target.value}`);
        deps.logger.info({ event: "admin.block_removed", operator, kind: target.kind, value: target.value }, "operator block removed");
        sendJson(res, 200, { removed: { kind: target.kind, value: target.value } });
      },
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    if (path === "/healthz") {
      // No token: a load balancer or an orchestrator probes this, and it reveals nothing.
      if (method !== "GET") return sendProblem(res, 405, { allow: GET_ONLY });
      return sendJson(res, 200, { status: "ok" });
    }
    const operator = authenticate(req.headers.authorization);
    if (operator === undefined) {
      // Checked before routing, so an anonymous caller cannot even learn which paths exist.
      if (req.headers.authorization !== undefined) {
        deps.logger.warn({ event: "admin.auth_failed", client_ip: req.socket.remoteAddress, path }, "admin request with an invalid token");
      }
      return sendProblem(res, 401, { "www-authenticate": 'Bearer realm="rampart-admin"' });
    }
    const endpoint = exact.get(path) ?? (path.startsWith("/blocks/") ? oneBlock : undefined);
    if (endpoint === undefined) return sendProblem(res, 404);
    const handler = endpoint.methods[method];
    if (handler === undefined) return sendProblem(res, 405, { allow: endpoint.allow });
    await handler(req, res, operator);
  }

  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      deps.logger.error({ event: "admin.error", err: error, method: req.method, path: pathOf(req) }, "admin request failed");
      // A shared store that cannot be reached is a temporary state the operator can act on
      // (is Redis up?), not a bug: 503 with what failed, so `rampart block` can say it.
      if (error instanceof Error && error.name === "ControlsUnavailableError") return sendProblem(res, 503, { "retry-after": "5" }, error.message);
      sendProblem(res, 500);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of scrapers would otherwise hold close() open for seconds.
        server.closeAllConnections();
      }),
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function sendReadiness(res: ServerResponse, deps: AdminDeps): void {
  let readiness: Readiness;
  try {
    readiness = deps.readiness();
  } catch (error) {
    // A readiness probe that throws is itself a reason not to send traffic here.
    deps.logger.error({ event: "admin.readiness_failed", err: error }, "readiness check threw");
    readiness = { ready: false, checks: { readiness: { ok: false, detail: error instanceof Error ? error.message : String(error) } } };
  }
  sendJson(res, readiness.ready ? 200 : 503, { status: readiness.ready ? "ready" : "not_ready", checks: readiness.checks });
}

async function sendMetrics(res: ServerResponse, metrics: GatewayMetrics): Promise<void> {
  const text = await metrics.registry.metrics();
  res.writeHead(200, {
    "content-type": metrics.registry.contentType,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** `DELETE /blocks/:kind/:value`; the value may be percent-encoded or a raw CIDR (`/blocks/prefix/10.0.0.0/8`). */
function blockTarget(path: string):
  | { readonly ok: true; readonly kind: BlockKind; readonly value: string }
  | { readonly ok: false; readonly status: 400 | 404; readonly detail: string } {
  const rest = path.slice("/blocks/".length);
  const slash = rest.indexOf("/");
  const kind = slash === -1 ? rest : rest.slice(0, slash);
  if (slash === -1 || slash === rest.length - 1) return { ok: false, status: 404, detail: "use DELETE /blocks/:kind/:value" };
  if (!isBlockKind(kind)) return { ok: false, status: 400, detail: `kind: "${kind}" is not a block kind` };
  let raw: string;
  try {
    raw = decodeURIComponent(rest.slice(slash + 1));
  } catch {
    return { ok: false, status: 400, detail: "value: bad percent-encoding in the path" };
  }
  const value = normalizeBlockValue(kind, raw);
  return value.ok ? { ok: true, kind, value: value.value } : { ok: false, status: 400, detail: value.detail };
}

const NO_BODY = Symbol("no body");

/** Reads a small JSON body; answers 413 or 400 itself and returns NO_BODY when it did. */
async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const text = await readSmallBody(req);
  if (text === undefined) {
    // `connection: close` lets Node end the socket after the answer instead of reading the rest.
    sendProblem(res, 413, { connection: "close" }, `body: at most ${MAX_BODY_BYTES} bytes`);
    return NO_BODY;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    sendProblem(res, 400, undefined, `body: not valid JSON (${error instanceof SyntaxError ? error.message : "unreadable"})`);
    return NO_BODY;
  }
}

/** The body as text, or undefined once it passes MAX_BODY_BYTES (the rest is left unread). */
function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off("data", onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}
