/** Test helpers for the rate-limit layer: configs from YAML text, requests with bodies, and outcomes. */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import type { Composed } from "../../src/compose/pipeline.ts";
import type { Config } from "../../src/config/config.ts";
import { formatIssue, loadConfigFile, parseConfig } from "../../src/config/load.ts";
import type { Decision, LayerContext, Outcome, Pipeline, RequestFacts, Router } from "../../src/engine/index.ts";
import { makeFacts } from "./gate-facts.ts";

export const EXAMPLES = resolve(import.meta.dirname, "../../examples");

/** The head every test config shares: one listener, no admin listener, one upstream. */
export const HEAD = `
listeners: [{ port: 0 }]
admin: { enabled: false }
upstreams: { api: { targets: ["http://127.0.0.1:9"] } }
`;

/** A config from YAML text; fails the test with every issue when it does not load. */
export function configOf(text: string): Config {
  const result = parseConfig(HEAD + text, undefined);
  assert.ok(result.ok, result.ok ? "" : result.issues.map(formatIssue).join("\n"));
  return result.config;
}

/** The issues of a config that must not load, as `path: message`. */
export function issuesOf(text: string): string[] {
  const result = parseConfig(HEAD + text, undefined);
  assert.equal(result.ok, false, "the config should have been refused");
  return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

export function exampleConfig(name: string): Config {
  const result = loadConfigFile(join(EXAMPLES, name));
  assert.ok(result.ok, result.ok ? "" : result.issues.map(formatIssue).join("\n"));
  return result.config;
}

export interface RequestSpec {
  readonly method?: string;
  readonly path: string;
  readonly query?: string;
  readonly ip?: string;
  readonly headers?: RequestFacts["headers"];
  /** A JSON body (an object) or raw text with its content type. */
  readonly json?: unknown;
  readonly form?: string;
}

/** RequestFacts for a request through `router`; a body comes with its Content-Type and Content-Length, as a client sends them. */
export function request(router: Router, spec: RequestSpec): RequestFacts {
  const body = spec.json !== undefined
    ? { contentType: "application/json", bytes: new TextEncoder().encode(JSON.stringify(spec.json)), truncated: false }
    : spec.form !== undefined
      ? { contentType: "application/x-www-form-urlencoded", bytes: new TextEncoder().encode(spec.form), truncated: false }
      : undefined;
  const ip = spec.ip ?? "203.0.113.7";
  return makeFacts({
    method: spec.method ?? "GET",
    path: spec.path,
    query: spec.query ?? "",
    clientIp: ip,
    peerIp: ip,
    headers: body === undefined ? (spec.headers ?? {}) : { "content-type": body.contentType, ...spec.headers },
    route: router.match(spec.path),
    contentLength: body?.bytes.length,
    body,
  });
}

/** Evaluates synchronously (the memory-store path must never return a promise). */
export function decideSync(pipeline: Pipeline, facts: RequestFacts): { ctx: LayerContext; decision: Decision } {
  const ctx = pipeline.evaluate(facts);
  assert.ok(!(ctx instanceof Promise), "the memory-store path answers synchronously");
  return { ctx, decision: ctx.decision as Decision };
}

export function outcome(status: number, bytesOut = 0): Outcome {
  return { status, durationMs: 1, upstreamMs: 1, bytesIn: 0, bytesOut, aborted: status === 0 };
}

/** One request through a composed config, answered with `status`, accounting flushed. */
export async function exchange(composed: Composed, spec: RequestSpec, status = 200, bytesOut = 0): Promise<Decision> {
  const facts = request(composed.router, spec);
  const { ctx, decision } = decideSync(composed.pipeline, facts);
  composed.pipeline.observe(facts, ctx, outcome(decision.action === "allow" ? status : decision.status, bytesOut));
  await composed.rateLimits?.flush();
  return decision;
}
