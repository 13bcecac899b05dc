/**
 * Rampart's public API: the engine's contracts (to write a layer), config loading, the
 * gateway, and the stores. Explicit named exports only: test/exports.test.ts pins this list,
 * so growing the public surface is a deliberate change.
 */
// First: keeps nextTick on V8's fast path in the embedding process (see the module).
import "./gateway/keep-tick-shape.ts";

export type {
  Action, Block, BlockKind, BlockQuery, BlockSource, BodyView, Controls, Decision, Headers, Identity,
  Layer, LayerContext, LayerFailure, LayerResult, Mode, NewBlock, Outcome, Pipeline, PipelineOptions,
  Reason, RequestFacts, RiskThresholds, Route, RouteMatch, Router, Signal, Stage, Tier, TlsPeer, Verdict,
} from "./engine/index.ts";
export { ACTIONS, ALLOW, BLOCK_KINDS, STAGES, createPipeline, createRouter, isAllowed, tierOf } from "./engine/index.ts";

export type { Config } from "./config/config.ts";
export type { ConfigIssue, LoadOptions, LoadResult } from "./config/load.ts";
export { formatIssue, loadConfigFile, parseConfig } from "./config/load.ts";
export { jsonSchema } from "./config/json-schema.ts";
export type { RampartOptions } from "./config/schema.ts";

export type { Composed, ComposeDeps } from "./compose/pipeline.ts";
export { compose } from "./compose/pipeline.ts";

export type { BoundListener, Gateway, GatewayOptions } from "./gateway/gateway.ts";
export { startGateway } from "./gateway/gateway.ts";
export type { RunOptions, RunResult, RunningGateway } from "./gateway/run.ts";
export { runGatewayFromFile } from "./gateway/run.ts";

export { createMemoryControls } from "./store/memory/controls.ts";
export { RampartError } from "./errors.ts";
