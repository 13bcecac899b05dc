/** Proxies one request to a target of a pool: the gateway's hot path, kept allocation-light. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { sendProblem } from "../../http/problem.ts";
import { classifyFailure, ProxyAbortError, statusForFailure } from "./failure.ts";
import { toClientHeaders } from "./hop-by-hop.ts";
import type { ForwardOptions, ForwardResult } from "./index.ts";
import { BalancedUpstreamPool } from "./pool.ts";
import { buildUpstreamHeaders, type RequestHead } from "./request-headers.ts";
import type { Target } from "./target.ts";

/**
 * Error answers close the connection: the client may still be sending a body we will not read,
 * and the connection's state toward us is no longer trustworthy.
 */
const CLOSE: Readonly<Record<string, string>> = { connection: "close" };

/** Logged status when the client left before any answer (nginx's convention). */
const CLIENT_CLOSED_REQUEST = 499;

const SLASH = 47;

/** Who hears the outcome of a forwarded request: called exactly once, never with an error. */
export interface ForwardSink {
  forwarded(result: ForwardResult): void;
}

/**
 * Proxies one request: picks a target, strips hop-by-hop headers, sets X-Forwarded-For/-Proto/
 * -Host and Forwarded, streams both bodies, maps failures to 502/504 problem+json, cancels the
 * upstream request when the client aborts. Resolves exactly once, when the response is finished or
 * abandoned; never rejects.
 */
export function forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<ForwardResult> {
  return new Promise((resolve) => forwardTo(req, res, options, { forwarded: resolve }));
}

/**
 * forward() for the gateway's hot path: the outcome goes to `sink` (synchronously when the
 * request never left), so no promise and no microtask sit between the upstream's last byte and
 * the request's bookkeeping. Throws only on a bug (the caller's catch answers 500).
 */
export function forwardTo(req: IncomingMessage, res: ServerResponse, options: ForwardOptions, sink: ForwardSink): void {
  const pool = options.pool;
  // A pool not made by createUpstreamPools has no targets we could reach.
  const target = pool instanceof BalancedUpstreamPool ? pool.pick() : undefined;
  if (target === undefined) return answerAlone(res, 502, "no_target", undefined, sink);
  const url = req.url ?? "";
  // Origin-form only: absolute-form, "*" and CONNECT have no meaning toward an upstream path.
  if (url.charCodeAt(0) !== SLASH || req.method === "CONNECT") return answerAlone(res, 400, undefined, undefined, sink);
  new Exchange(req, res, options, target, sink).start(url);
}

function answerAlone(res: ServerResponse, status: number, error: ForwardResult["error"], target: string | undefined, sink: ForwardSink): void {
  sendProblem(res, status, CLOSE);
  sink.forwarded({ status, upstreamMs: undefined, bytesIn: 0, bytesOut: 0, aborted: false, error, target });
}

/** res 'close' of a forwarded request; one function for all (no closure per request), the exchange found on `res`. */
function onClientClose(this: ServerResponse): void {
  (this as ServerResponse & { [EXCHANGE]?: Exchange })[EXCHANGE]?.clientClosed();
}

const EXCHANGE = Symbol("rampart.forwardExchange");

/** One request/response exchange with the upstream; also undici's dispatch handler for it. */
class Exchange implements Dispatcher.DispatchHandler, RequestHead {
  host: string | undefined = undefined;
  contentLength = -1;
  chunked = false;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #options: ForwardOptions;
  readonly #target: Target;
  readonly #sink: ForwardSink;
  #controller: Dispatcher.DispatchController | undefined = undefined;
  #settled = false;
  #dispatched = false;
  #startedAt = 0;
  #upstreamMs: number | undefined = undefined;
  #bytesIn = 0;
  #bytesOut = 0;

  #onDrain: (() => void) | undefined = undefined;

  constructor(req: IncomingMessage, res: ServerResponse, options: ForwardOptions, target: Target, sink: ForwardSink) {
    this.#req = req;
    this.#res = res;
    this.#options = options;
    this.#target = target;
    this.#sink = sink;
  }

  start(url: string): void {
    const req = this.#req;
    const options = this.#options;
    const headers = buildUpstreamHeaders(req.rawHeaders, options, this);
    if (this.contentLength > options.maxBodyBytes) {
      // Declared too large: answered without bothering the upstream.
      sendProblem(this.#res, 413, CLOSE);
      this.#settle(false, "body_too_large");
      return;
    }
    if (this.#clientGone()) {
      // Gone before we started (e.g. while layers decided): res 'close' already fired.
      this.#settle(true, undefined);
      return;
    }
    const hasBody = this.chunked || this.contentLength > 0 || (options.bodyPrefix !== undefined && options.bodyPrefix.byteLength > 0);
    (this.#res as ServerResponse & { [EXCHANGE]?: Exchange })[EXCHANGE] = this;
    this.#res.on("close", onClientClose);
    this.#target.inFlight += 1;
    this.#dispatched = true;
    this.#startedAt = performance.now();
    this.#target.dispatcher.dispatch({
      method: req.method as Dispatcher.HttpMethod,
      path: this.#target.basePath + url,
      headers,
      // undici streams any async iterable (with backpressure); its typings only list Readable.
      body: hasBody ? (this.#body() as unknown as Readable) : null,
    }, this);
  }

  /**
   * The request body: the prefix already read for the body view, then the rest of `req`, counted
   * against the limit. `destroyOnReturn: false` keeps `req` (and so the client's socket) alive when
   * undici stops reading, so a 413 or 502 can still be answered.
   */
  async *#body(): AsyncGenerator<Uint8Array> {
    const prefix = this.#options.bodyPrefix;
    if (prefix !== undefined && prefix.byteLength > 0) {
      this.#countIn(prefix.byteLength);
      yield prefix;
    }
    for await (const chunk of this.#req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      this.#countIn(chunk.byteLength);
      yield chunk;
    }
  }

  #countIn(bytes: number): void {
    this.#bytesIn += bytes;
    if (this.#bytesIn <= this.#options.maxBodyBytes || this.#settled) return;
    if (this.#res.headersSent) this.#res.destroy();
    else sendProblem(this.#res, 413, CLOSE);
    this.#settle(false, "body_too_large");
    // Abort (settled first, so the error undici reports back is ignored) and stop the body: a
    // cleanly ended body would reach the upstream as a valid, truncated upload.
    const reason = new ProxyAbortError("body_too_large");
    this.#controller?.abort(reason);
    throw reason;
  }

  /** res 'close' before we settled: the client went away; the upstream request goes too. */
  clientClosed(): void {
    if (this.#settled) return;
    // Settle before aborting: undici reports the abort back through onResponseError at once.
    this.#settle(true, undefined);
    this.#controller?.abort(new ProxyAbortError("client_gone"));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#target.everReachable = true;
    // The client left while the request waited for a free connection.
    if (this.#settled) controller.abort(new ProxyAbortError("client_gone"));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.#settled) return;
    this.#upstreamMs = performance.now() - this.#startedAt;
    this.#target.recordSuccess();
    try {
      this.#res.writeHead(statusCode, toClientHeaders(headers, this.#options.extraHeaders));
    } catch {
      // Headers Node refuses to send (invalid characters from the upstream): a bad gateway answer.
      sendProblem(this.#res, 502, CLOSE);
      this.#settle(false, "reset");
      controller.abort(new ProxyAbortError("bad_response"));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#bytesOut += chunk.byteLength;
    if (!this.#res.write(chunk)) {
      // The client reads slower than the upstream sends: stop reading from the upstream.
      controller.pause();
      // Made on first need: most answers fit the socket's buffer and never wait for 'drain'.
      this.#onDrain ??= (): void => this.#controller?.resume();
      this.#res.once("drain", this.#onDrain);
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#res.end();
    this.#settle(false, undefined);
  }

  /** The controller is undefined when the request never reached a connection (#controller unset too). */
  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#settled) return;
    if (this.#clientGone()) {
      // The client's side failed (its upload broke off), not the upstream's.
      this.#settle(true, undefined);
      return;
    }
    const failure = classifyFailure(error, this.#controller !== undefined);
    this.#target.recordFailure(Date.now());
    // After the headers went out, only a broken connection tells the client the answer is incomplete.
    if (this.#res.headersSent) this.#res.destroy();
    else sendProblem(this.#res, statusForFailure(failure), CLOSE);
    this.#settle(false, failure);
  }

  #clientGone(): boolean {
    const socket = this.#req.socket as IncomingMessage["socket"] | null;
    return socket === null || socket.destroyed;
  }

  /** Resolves the result, exactly once. */
  #settle(aborted: boolean, error: ForwardResult["error"]): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#dispatched) this.#target.inFlight -= 1;
    const res = this.#res;
    this.#sink.forwarded({
      status: res.headersSent ? res.statusCode : aborted ? CLIENT_CLOSED_REQUEST : res.statusCode,
      upstreamMs: this.#upstreamMs,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      aborted,
      error,
      target: this.#target.origin,
    });
  }
}
