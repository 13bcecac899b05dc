/**
 * One request's passage through the gateway, from the facts to the log line: holds what the
 * steps share so that each step is a method (no closure allocated per request) and the end —
 * observe, metrics, log, release — happens exactly once.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RouteConfig } from "../config/config.ts";
import type { Decision, LayerContext, Reason, RequestFacts } from "../engine/index.ts";
import { NO_ROUTE_LABEL } from "../monitor/metrics.ts";
import { accountOf } from "./account.ts";
import { problemBody, sendProblem } from "../http/problem.ts";
import type { Generation, ListenerState, Runtime } from "./runtime.ts";
import type { ForwardSink } from "./upstream/forward.ts";
import type { ForwardResult } from "./upstream/index.ts";

/** A request the gateway answered itself (no pipeline decision), e.g. a CORS preflight. */
export interface GatewayVerdict {
  readonly action: Decision["action"];
  readonly reasons: readonly Reason[];
}

const NO_REASONS: readonly Reason[] = Object.freeze([]);
const NO_ERRORS: Decision["errors"] = Object.freeze([]);

export class Exchange implements ForwardSink {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly runtime: Runtime;
  readonly generation: Generation;
  readonly listener: ListenerState;
  readonly startedAt: number;
  facts!: RequestFacts;
  route: RouteConfig | undefined;
  /** Bytes taken off the request stream for the body view, forwarded first. */
  bodyPrefix: Uint8Array | undefined;
  /** Response headers every answer of this request carries (CORS, HSTS). */
  answerHeaders: Readonly<Record<string, string>> | undefined;
  ctx: LayerContext | undefined;
  /** The pipeline's decision, once the request is forwarded. */
  decision: Decision | undefined;
  private finished = false;

  constructor(req: IncomingMessage, res: ServerResponse, runtime: Runtime, generation: Generation, listener: ListenerState, startedAt: number) {
    this.req = req;
    this.res = res;
    this.runtime = runtime;
    this.generation = generation;
    this.listener = listener;
    this.startedAt = startedAt;
    this.route = undefined;
    this.bodyPrefix = undefined;
    this.answerHeaders = listener.hstsHeaders;
    this.ctx = undefined;
    this.decision = undefined;
  }

  /** The upstream's answer is finished or abandoned (forwardTo's sink). */
  forwarded(result: ForwardResult): void {
    this.finish(this.decision as Decision, result.status, result);
  }

  /** Answers with a problem and ends the exchange. Reasons reach the body only in debug mode. */
  answer(status: number, headers: Readonly<Record<string, string>> | undefined, verdict: GatewayVerdict | Decision): void {
    const merged = mergeHeaders(headers, this.answerHeaders);
    const detail = this.generation.config.logging.debugErrors ? describe(verdict.reasons) : undefined;
    sendProblem(this.res, status, merged, detail);
    const bytesOut = detail === undefined ? Buffer.byteLength(problemBody(status)) : 0;
    this.finish(verdict, status, undefined, bytesOut);
  }

  /**
   * Ends the exchange: feeds the outcome to the layers, counts it, writes the log line and
   * releases the generation. Runs once, whatever path the request took.
   */
  finish(verdict: GatewayVerdict | Decision, status: number, forwarded: ForwardResult | undefined, bytesOut = 0, clientLeft = false): void {
    if (this.finished) return;
    this.finished = true;
    const { runtime, facts, ctx } = this;
    const latencyMs = performance.now() - this.startedAt;
    const upstreamMs = forwarded?.upstreamMs;
    const aborted = forwarded?.aborted ?? clientLeft;
    try {
      if (ctx !== undefined) {
        this.generation.composed.pipeline.observe(facts, ctx, {
          status,
          durationMs: latencyMs,
          upstreamMs,
          bytesIn: forwarded?.bytesIn ?? 0,
          bytesOut: forwarded?.bytesOut ?? bytesOut,
          aborted,
        });
      }
      const routeId = facts.route?.route.id;
      runtime.metrics.requestFinished(routeId ?? NO_ROUTE_LABEL, verdict.action, status, upstreamMs);
      const userAgent = facts.headers["user-agent"];
      const wouldHave = (verdict as Decision).wouldHave;
      runtime.log.request({
        id: facts.id,
        clientIp: facts.clientIp,
        method: facts.method,
        path: facts.path,
        route: routeId,
        status,
        action: verdict.action,
        wouldHave: wouldHave?.action,
        reasons: verdict.reasons,
        risk: (verdict as Decision).risk ?? 0,
        latencyMs,
        upstreamMs,
        userAgent: typeof userAgent === "string" ? userAgent : undefined,
        keyId: ctx?.identity?.keyId,
        subject: ctx?.identity?.subject,
        account: this.route?.account === undefined ? undefined : accountOf(facts, this.route.account),
        errors: (verdict as Decision).errors ?? NO_ERRORS,
        upstreamError: forwarded?.error,
        target: forwarded?.target,
      });
    } catch (error) {
      runtime.log.logger.error({ req_id: facts?.id, err: error }, "request bookkeeping failed");
    } finally {
      runtime.release(this.generation);
    }
  }
}

/** A verdict for answers the gateway gives itself. */
export function gatewayVerdict(action: Decision["action"], layer?: string, code?: string): GatewayVerdict {
  return { action, reasons: layer === undefined || code === undefined ? NO_REASONS : [{ layer, code }] };
}

/** `a` overlaid with `b`; no allocation when one side is empty. */
export function mergeHeaders(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> | undefined {
  if (b === undefined || isEmpty(b)) return a === undefined || isEmpty(a) ? undefined : a;
  if (a === undefined || isEmpty(a)) return b;
  return { ...a, ...b };
}

function isEmpty(headers: Readonly<Record<string, string>>): boolean {
  for (const _ in headers) return false;
  return true;
}

function describe(reasons: readonly Reason[]): string | undefined {
  if (reasons.length === 0) return undefined;
  return reasons.map((r) => (r.detail === undefined ? `${r.layer}.${r.code}` : `${r.layer}.${r.code}: ${r.detail}`)).join("; ");
}
