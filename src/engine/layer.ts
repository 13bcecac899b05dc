/**
 * The Layer contract. A layer is a small object made by a validating factory: it closes over
 * its prepared options and returns `{ name, stage, evaluate, observe? }`. It returns a Verdict
 * to end the pipeline, or nothing to let the request go on; it adds signals and identity
 * through the context. It never calls another layer: shared state goes through Controls.
 */

import type { Controls } from "./controls.ts";
import type { Decision, LayerFailure, Verdict } from "./decision.ts";
import type { RequestFacts } from "./facts.ts";
import type { Identity } from "./identity.ts";
import type { Signal, Tier } from "./signal.ts";

/** Pipeline stages, in the order of DESIGN.md's flow; risk is computed between signal and limit. */
export type Stage = "gate" | "identity" | "signal" | "limit";

export const STAGES: readonly Stage[] = ["gate", "identity", "signal", "limit"];

/** Per-request state shared by the layers of one pipeline run. */
export interface LayerContext {
  readonly now: number;
  readonly controls: Controls;
  identity: Identity | undefined;
  readonly signals: Signal[];
  /** Sum of signal scores, set after the signal stage. */
  risk: number;
  tier: Tier;
  /** The pipeline's decision, set once evaluation is over (read it in `observe`). */
  decision: Decision | undefined;
  /** Per-layer scratch space from evaluate to observe (e.g. a concurrency slot to release). */
  readonly memo: Map<string, unknown>;
  /**
   * Headers every answer to this request carries, allowed or not (e.g. RateLimit): layers add
   * to it, the pipeline copies it into the decision (a verdict's own headers win).
   */
  responseHeaders?: Record<string, string> | undefined;
  /**
   * Failures a layer handled itself without throwing (e.g. a store down, a local fallback used):
   * they reach the decision's `errors` and the log like a thrown layer's, without changing the action.
   */
  readonly failures?: LayerFailure[];
}

/**
 * A Verdict ends the pipeline — `allow` included: an allow verdict (e.g. an allow-listed client)
 * is final, later layers do not override it, and its reason is kept in the decision for the log.
 * `undefined` lets the request go on.
 */
export type LayerResult = Verdict | undefined;

/** What happened after the decision: fed to every layer's `observe`. */
export interface Outcome {
  /** Status sent to the client (0 when the connection was dropped or aborted). */
  readonly status: number;
  readonly durationMs: number;
  /** Time to the upstream's response headers; undefined when the upstream was not called. */
  readonly upstreamMs: number | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** True when the client went away before the response ended. */
  readonly aborted: boolean;
}

export interface Layer {
  readonly name: string;
  readonly stage: Stage;
  evaluate(facts: RequestFacts, ctx: LayerContext): LayerResult | Promise<LayerResult>;
  observe?(facts: RequestFacts, ctx: LayerContext, outcome: Outcome): void;
}
