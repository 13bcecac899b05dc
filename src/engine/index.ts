/** The engine's public surface: facts, signals, decisions, layers, Controls and the pipeline. */
export type { Action, Decision, LayerFailure, Reason, Verdict } from "./decision.ts";
export { ACTIONS, ALLOW, isAllowed } from "./decision.ts";
export type { BodyView, Headers, RequestFacts, TlsPeer } from "./facts.ts";
export type { Identity } from "./identity.ts";
export type { Signal, Tier } from "./signal.ts";
export type { Layer, LayerContext, LayerResult, Outcome, Stage } from "./layer.ts";
export { STAGES } from "./layer.ts";
export type { Block, BlockKind, BlockQuery, BlockSource, Controls, NewBlock } from "./controls.ts";
export { BLOCK_KINDS } from "./controls.ts";
export type { Route, RouteMatch, Router } from "./router.ts";
export { createRouter, RouteConflictError } from "./router.ts";
export type { Mode, Pipeline, PipelineOptions, RiskThresholds } from "./pipeline.ts";
export { createPipeline, tierOf } from "./pipeline.ts";
