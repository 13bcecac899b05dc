/**
 * Compiles the `adaptive` section: defaults applied, durations in ms, the water marks checked
 * against each other, and every upstream given its bounds (per-upstream overrides applied), so
 * the controller never looks anything up by name on a request.
 */
import type { AdaptiveBounds, AdaptiveConfig } from "./config.ts";
import type { CompileContext } from "./compile-context.ts";
import { unknownUpstream } from "./compile-routes.ts";
import type { KeyPath } from "./positions.ts";
import type { RampartOptions } from "./schema.ts";

/** Defaults of the `adaptive` section (the schema repeats them for editors). */
export const ADAPTIVE_DEFAULTS = Object.freeze({
  targetLatencyMs: 200,
  maxInFlight: 100,
  maxEventLoopDelayMs: 100,
  minFactor: 0.1,
  maxChangePerSecond: 0.1,
  highWater: 0.8,
  lowWater: 0.5,
});

/**
 * The event-loop sampler's resolution: a smaller bound would be crossed by the sampler's own
 * jitter, and the gateway would shed healthy traffic.
 */
export const MIN_EVENT_LOOP_DELAY_MS = 10;

/** The compiled section, or undefined when it is absent or `enabled: false`. Problems are issues on `ctx`. */
export function compileAdaptive(ctx: CompileContext, options: RampartOptions): AdaptiveConfig | undefined {
  const adaptive = options.adaptive;
  if (adaptive === undefined || adaptive.enabled === false) return undefined;
  const at: KeyPath = ["adaptive"];
  const defaults = bounds(ctx, at, adaptive, { targetLatencyMs: ADAPTIVE_DEFAULTS.targetLatencyMs, maxInFlight: ADAPTIVE_DEFAULTS.maxInFlight });
  const upstreamNames = new Set(Object.keys(options.upstreams ?? {}));
  const overrides = adaptive.upstreams ?? {};
  for (const name of Object.keys(overrides)) {
    if (!upstreamNames.has(name)) ctx.error([...at, "upstreams", name], unknownUpstream(name, upstreamNames), "RAMPART_ERR_UNKNOWN_UPSTREAM", "key");
  }
  const upstreams = new Map<string, AdaptiveBounds>();
  for (const name of upstreamNames) {
    const override = overrides[name];
    upstreams.set(name, override === undefined ? defaults : bounds(ctx, [...at, "upstreams", name], override, defaults));
  }

  const maxEventLoopDelayMs = ctx.duration([...at, "max_event_loop_delay"], adaptive.max_event_loop_delay, ADAPTIVE_DEFAULTS.maxEventLoopDelayMs);
  if (maxEventLoopDelayMs < MIN_EVENT_LOOP_DELAY_MS) {
    ctx.error([...at, "max_event_loop_delay"], `must be at least ${MIN_EVENT_LOOP_DELAY_MS}ms: below that the sampler's own jitter would shed healthy traffic`);
  }
  const highWater = adaptive.high_water ?? ADAPTIVE_DEFAULTS.highWater;
  const lowWater = adaptive.low_water ?? ADAPTIVE_DEFAULTS.lowWater;
  // Without a gap between the marks the factor would flap on every tick of a steady load.
  if (!(lowWater < highWater)) ctx.error([...at, "low_water"], `must be below high_water (${highWater}): the gap between them is what stops the limits from flapping`);
  return {
    ...defaults,
    maxEventLoopDelayMs,
    minFactor: adaptive.min_factor ?? ADAPTIVE_DEFAULTS.minFactor,
    maxChangePerSecond: adaptive.max_change_per_second ?? ADAPTIVE_DEFAULTS.maxChangePerSecond,
    highWater,
    lowWater,
    shed: adaptive.shed ?? true,
    upstreams,
  };
}

type BoundsOptions = { readonly target_latency?: string | undefined; readonly max_in_flight?: number | undefined };

function bounds(ctx: CompileContext, at: KeyPath, options: BoundsOptions, fallback: AdaptiveBounds): AdaptiveBounds {
  const targetLatencyMs = ctx.duration([...at, "target_latency"], options.target_latency, fallback.targetLatencyMs);
  if (targetLatencyMs === 0) ctx.error([...at, "target_latency"], "must be more than 0ms");
  return { targetLatencyMs, maxInFlight: options.max_in_flight ?? fallback.maxInFlight };
}
