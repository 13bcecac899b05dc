/**
 * The request handler of a listener: the hot path. Facts once, CORS preflights answered
 * here, the pipeline (synchronous unless a layer waits), then the decision acted on —
 * forwarded, answered with a problem, held (tarpit) or dropped — and the exchange finished.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { forwardedForChain } from "../engine/client-ip.ts";
import type { Decision, LayerContext, RouteMatch } from "../engine/index.ts";
import { codeInfo } from "../errors.ts";
import { corsHeaders, isPreflight, preflightHeaders } from "../gate/cors.ts";
import { hasBody, readBodyView, type ReadBody } from "./body-view.ts";
import { Exchange, gatewayVerdict, mergeHeaders } from "./exchange.ts";
import { buildFacts, originOf, pathOf, type Origin } from "./request-facts.ts";
import type { ListenerState, Runtime } from "./runtime.ts";
import { forwardTo } from "./upstream/forward.ts";

/** The longest a tarpit holds an answer, whatever a layer asks: a held socket costs memory. */
const MAX_TARPIT_MS = 30_000;

const PLAIN_HTTP_REFUSED = gatewayVerdict("deny", "listener", "plain_http_refused");
const HOST_MISSING = gatewayVerdict("deny", "listener", "host_missing");
const PREFLIGHT_OK = gatewayVerdict("allow");
const PREFLIGHT_REFUSED = gatewayVerdict("deny", "cors", "preflight_refused");
const NO_UPSTREAM = gatewayVerdict("allow", "gateway", "no_upstream");
const INTERNAL = gatewayVerdict("deny", "gateway", "internal_error");
const CLIENT_LEFT = gatewayVerdict("allow", "gateway", "client_aborted");

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Builds the 'request' listener of one listener. */
export function createRequestHandler(runtime: Runtime, listener: ListenerState): RequestHandler {
  return function handleRequest(req, res) {
    const startedAt = performance.now();
    const generation = runtime.current;
    generation.inFlight++;
    runtime.inFlight++;
    runtime.metrics.requestStarted();
    // While draining, this answer is the connection's last.
    if (runtime.draining) res.shouldKeepAlive = false;
    const exchange = new Exchange(req, res, runtime, generation, listener, startedAt);
    try {
      begin(exchange);
    } catch (error) {
      internalError(exchange, error);
    }
  };
}

function begin(exchange: Exchange): void {
  const { req, generation, runtime, listener } = exchange;
  const config = generation.config;
  const origin = originOf(req, config.trustedProxies);
  if (config.trustedProxies === undefined && !runtime.warnedTrustProxy && req.headers["x-forwarded-for"] !== undefined) {
    runtime.warnedTrustProxy = true;
    const info = codeInfo("RAMPART_WARN_TRUST_PROXY_UNSET");
    runtime.log.logger.warn({ code: info.code, help: info.help }, info.message);
  }
  const match = generation.composed.router.match(pathOf(req.url ?? "/"));
  const route = match === undefined ? undefined : generation.composed.routes.get(match.route.id);
  exchange.route = route;

  if (route !== undefined && route.bodyViewBytes > 0 && hasBody(req) && !listenerRefuses(exchange)) {
    readBodyView(req, route.bodyViewBytes)
      .then((read) => decide(exchange, origin, match, read))
      .catch((error: unknown) => internalError(exchange, error));
    return;
  }
  decide(exchange, origin, match, undefined);
}

/** A plain-HTTP listener that refuses plain HTTP (APIs should not redirect: a redirect leaks the request first). */
function listenerRefuses(exchange: Exchange): boolean {
  return exchange.listener.config.refusePlainHttp && exchange.listener.protocol === "http";
}

function decide(exchange: Exchange, origin: Origin, match: RouteMatch | undefined, read: ReadBody | undefined): void {
  const { req, res, generation, listener } = exchange;
  const facts = buildFacts(req, origin, listener, match, read?.view, exchange.runtime.now());
  exchange.facts = facts;
  exchange.bodyPrefix = read?.prefix;
  if (res.destroyed) return exchange.finish(CLIENT_LEFT, 0, undefined, 0, true);
  if (listenerRefuses(exchange)) return exchange.answer(403, undefined, PLAIN_HTTP_REFUSED);
  // HTTP/1.1 requires Host (RFC 9112 §3.2); Node's own check is off so the answer is a problem.
  if (facts.host === "" && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) return exchange.answer(400, undefined, HOST_MISSING);

  const cors = exchange.route?.cors;
  if (cors !== undefined) {
    if (isPreflight(facts.method, facts.headers)) {
      // Preflights are answered here, never by the pipeline: a 405 would break every browser client.
      const headers = preflightHeaders(cors, facts.headers);
      if (headers === undefined) return exchange.answer(403, undefined, PREFLIGHT_REFUSED);
      return preflightAnswer(exchange, headers);
    }
    const allowed = corsHeaders(cors, facts.headers.origin as string | undefined);
    if (allowed !== undefined) exchange.answerHeaders = mergeHeaders(exchange.answerHeaders, allowed);
  }

  const decidedAt = performance.now();
  const result = generation.composed.pipeline.evaluate(facts);
  if (result instanceof Promise) {
    // One reaction for both outcomes: a `.then().catch()` chain costs a second promise per request.
    result.then((ctx) => actOrFail(exchange, ctx, decidedAt), (error: unknown) => internalError(exchange, error));
    return;
  }
  act(exchange, result, decidedAt);
}

/** `act` after an asynchronous decision, where nothing above would catch what it throws. */
function actOrFail(exchange: Exchange, ctx: LayerContext, decidedAt: number): void {
  try {
    act(exchange, ctx, decidedAt);
  } catch (error) {
    internalError(exchange, error);
  }
}

function preflightAnswer(exchange: Exchange, headers: Readonly<Record<string, string>>): void {
  const res = exchange.res;
  const merged = mergeHeaders(headers, exchange.listener.hstsHeaders);
  if (merged !== undefined) for (const name in merged) res.setHeader(name, merged[name] as string);
  res.statusCode = 204;
  res.end();
  exchange.finish(PREFLIGHT_OK, 204, undefined);
}

function act(exchange: Exchange, ctx: LayerContext, decidedAt: number): void {
  const runtime = exchange.runtime;
  runtime.metrics.decisionTook((performance.now() - decidedAt) / 1000);
  exchange.ctx = ctx;
  const decision = ctx.decision as Decision;
  if (decision.errors.length > 0) {
    // Every layer failure is logged at error level, whatever the on_error policy made of it.
    runtime.log.logger.error({ req_id: exchange.facts.id, route: exchange.facts.route?.route.id, errors: decision.errors }, "layer failed");
  }
  switch (decision.action) {
    case "allow":
      return proxy(exchange, decision);
    case "drop":
      exchange.req.socket.destroy();
      return exchange.finish(decision, 0, undefined);
    case "tarpit":
      return tarpit(exchange, decision);
    default:
      return exchange.answer(decision.status, decision.headers, decision);
  }
}

function proxy(exchange: Exchange, decision: Decision): void {
  const { generation, facts, route, req, res } = exchange;
  const config = generation.config;
  const upstream = route === undefined ? config.defaultUpstream : route.upstream;
  const pool = upstream === undefined ? undefined : generation.pools.get(upstream);
  if (pool === undefined) return exchange.answer(502, undefined, NO_UPSTREAM);
  exchange.decision = decision;
  // The exchange hears the outcome itself (forwarded()): no promise, no closure per request.
  forwardTo(req, res, {
    pool,
    clientIp: facts.clientIp,
    forwardedFor: forwardedForChain(facts.peerIp, facts.headers["x-forwarded-for"], config.trustedProxies),
    protocol: facts.protocol,
    bodyPrefix: exchange.bodyPrefix,
    extraHeaders: mergeHeaders(decision.headers, exchange.answerHeaders),
    maxBodyBytes: (route === undefined ? config.limits : route.limits).maxBodyBytes,
    requestId: facts.id,
  }, exchange);
}

/** Holds the answer for a bounded time, then denies; a client that leaves frees the timer. */
function tarpit(exchange: Exchange, decision: Decision): void {
  const res = exchange.res;
  const holdMs = Math.max(0, Math.min(decision.holdMs ?? 0, MAX_TARPIT_MS));
  const onClose = (): void => {
    clearTimeout(timer);
    exchange.finish(decision, 0, undefined, 0, true);
  };
  const timer = setTimeout(() => {
    res.off("close", onClose);
    exchange.answer(decision.status, decision.headers, decision);
  }, holdMs);
  res.once("close", onClose);
}

/**
 * A bug on our side (never a layer's failure, which the pipeline handles): logged, answered
 * with a 500 problem if the answer has not started, the connection cut otherwise. Never throws:
 * it is the last catch of every asynchronous step.
 */
function internalError(exchange: Exchange, error: unknown): void {
  try {
    exchange.runtime.log.logger.error({ req_id: exchange.facts?.id, err: error }, "request failed inside the gateway");
    // Facts may not exist yet when the failure came early; the log line needs them.
    if (exchange.facts === undefined) exchange.facts = buildFacts(exchange.req, originOf(exchange.req, undefined), exchange.listener, undefined, undefined, exchange.runtime.now());
    if (exchange.res.headersSent) {
      exchange.res.destroy();
      exchange.finish(INTERNAL, 0, undefined);
      return;
    }
    exchange.answer(500, undefined, INTERNAL);
  } catch {
    // Nothing sensible is left to do for this request but to free its connection and its slot.
    exchange.res.destroy();
    try {
      exchange.finish(INTERNAL, 0, undefined);
    } catch {
      // finish() releases the generation in its `finally`, even when its log line fails.
    }
  }
}
