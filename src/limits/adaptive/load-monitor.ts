/**
 * The adaptive loop: every tick (250 ms) it reads the event-loop delay, folds each upstream's
 * window of traffic into a load figure and moves that upstream's limit factor. It ticks on an
 * unref'd interval only while there is traffic or something to recover, so an idle or retired
 * config generation costs nothing and never keeps the process alive.
 */
import type { AdaptiveBounds, AdaptiveConfig } from "../../config/config.ts";
import { createFactorController, type FactorController, type FactorOptions, type FactorTrend } from "./factor.ts";
import { createEventLoopProbe, createUpstreamSignal, type EventLoopProbe, type UpstreamSignal } from "./load-signal.ts";

/** Default tick period: four load readings a second, well under the one-second rate bound. */
export const TICK_MS = 250;
/** The event-loop delay is the worst of the last four windows: about the p99 of the last second. */
const DELAY_WINDOWS = 4;
/** Ticks without traffic, everything recovered and nothing in flight, before the ticker sleeps. */
const IDLE_TICKS = 40;
/** How often requests that never came back are looked for, and how old they must be (10 min). */
const SWEEP_EVERY_TICKS = 40;
const STALE_AFTER_TICKS = 2400;
/** Retry-After for a shed request is the time until limits could be whole again, within these bounds. */
const MIN_RETRY_SECONDS = 1;
const MAX_RETRY_SECONDS = 60;

/** The load of one upstream, as the shed and rate-limit layers read it. */
export interface UpstreamLoad {
  readonly name: string;
  readonly bounds: AdaptiveBounds;
  /** Multiplier for the limits of normal and suspicious clients of this upstream, in [minFactor, 1]. */
  readonly factor: number;
  /** Load at the last tick: the largest of peak in-flight / max_in_flight, latency / target_latency, event-loop delay / its bound. */
  readonly load: number;
  readonly inFlight: number;
  /** How full the upstream and the gateway are right now: in-flight / max_in_flight or event-loop delay / its bound (≥ 1 = at capacity). */
  pressure(): number;
  /** A request goes on towards this upstream. */
  enter(request: object): void;
  /** A request that entered ended; `latencyMs` when the upstream answered or failed. */
  leave(request: object, latencyMs: number | undefined): void;
  /** Whole seconds until the limits could be back to normal at the allowed rate (for Retry-After). */
  retryAfterSeconds(): number;
}

/** One upstream's state, for the admin API, metrics and logs. */
export interface LoadSnapshot {
  readonly upstream: string;
  readonly factor: number;
  readonly trend: FactorTrend;
  readonly load: number;
  readonly inFlight: number;
  readonly latencyMs: number;
  readonly eventLoopDelayMs: number;
}

/** A factor left 1 (limits shrinking) or came back to it. */
export interface FactorChange {
  readonly upstream: string;
  readonly state: "scaled" | "restored";
  readonly factor: number;
  readonly load: number;
}

export interface LoadMonitor {
  /** The load of an upstream (one object per name, created on first use). */
  upstream(name: string): UpstreamLoad;
  /** Marks traffic; wakes the ticker when it sleeps. Called by the shed layer on every request it sees. */
  touch(): void;
  /** One step of the loop (the interval calls it; tests call it with their clock). */
  tick(): void;
  /** Takes a reloaded config's settings; factors and in-flight counts carry over. */
  configure(config: AdaptiveConfig): void;
  snapshot(): readonly LoadSnapshot[];
  /** Whether the interval is running. */
  readonly ticking: boolean;
  /** Stops the interval and the event-loop sampler; a later request starts them again. */
  close(): void;
}

export interface LoadMonitorDeps {
  /** Monotonic clock in ms (default performance.now): wall-clock jumps must not move the factor. */
  readonly now?: () => number;
  readonly probe?: EventLoopProbe;
  /** Tick on an interval while there is traffic (default true); false leaves `tick()` to the caller. */
  readonly autoTick?: boolean;
  readonly tickMs?: number;
  /** Told when an upstream's limits start shrinking and when they are whole again. */
  readonly onChange?: (change: FactorChange) => void;
}

interface Entry extends UpstreamLoad {
  bounds: AdaptiveBounds;
  load: number;
  readonly signal: UpstreamSignal;
  readonly controller: FactorController;
}

/** Builds the loop for a compiled `adaptive` section. */
export function createLoadMonitor(config: AdaptiveConfig, deps: LoadMonitorDeps = {}): LoadMonitor {
  const now = deps.now ?? (() => performance.now());
  const probe = deps.probe ?? createEventLoopProbe();
  const autoTick = deps.autoTick ?? true;
  const tickMs = deps.tickMs ?? TICK_MS;
  let settings = config;
  let factorOptions = factorOptionsOf(config);
  const entries = new Map<string, Entry>();
  const delays: number[] = [];
  let delayMs = 0;
  let ticks = 0;
  let idleTicks = 0;
  let used = false;
  let timer: NodeJS.Timeout | undefined;

  function upstream(name: string): UpstreamLoad {
    let entry = entries.get(name);
    if (entry === undefined) {
      entry = createEntry(name, settings.upstreams.get(name) ?? settings);
      entries.set(name, entry);
    }
    return entry;
  }

  function createEntry(name: string, bounds: AdaptiveBounds): Entry {
    const signal = createUpstreamSignal(now());
    const controller = createFactorController(factorOptions, now());
    const entry: Entry = {
      name,
      bounds,
      load: 0,
      signal,
      controller,
      get factor() {
        return controller.factor;
      },
      get inFlight() {
        return signal.inFlight;
      },
      pressure() {
        return Math.max(signal.inFlight / entry.bounds.maxInFlight, delayMs / settings.maxEventLoopDelayMs);
      },
      enter(request) {
        signal.enter(request, ticks);
      },
      leave(request, latencyMs) {
        signal.leave(request, latencyMs);
      },
      retryAfterSeconds() {
        // The epsilon absorbs float steps (0.1 taken 3 times is not exactly 0.3).
        const seconds = Math.ceil((1 - controller.factor) / settings.maxChangePerSecond - 1e-9);
        return Math.min(MAX_RETRY_SECONDS, Math.max(MIN_RETRY_SECONDS, seconds));
      },
    };
    return entry;
  }

  function tick(): void {
    const at = now();
    ticks++;
    delays.push(probe.sample());
    if (delays.length > DELAY_WINDOWS) delays.shift();
    delayMs = Math.max(...delays);
    const delayLoad = delayMs / settings.maxEventLoopDelayMs;
    let settled = true;
    for (const entry of entries.values()) {
      const window = entry.signal.fold(at);
      entry.load = Math.max(window.peakInFlight / entry.bounds.maxInFlight, window.latencyMs / entry.bounds.targetLatencyMs, delayLoad);
      const before = entry.controller.factor;
      const after = entry.controller.update(entry.load, at);
      if (before === 1 && after < 1) deps.onChange?.({ upstream: entry.name, state: "scaled", factor: after, load: entry.load });
      else if (before < 1 && after === 1) deps.onChange?.({ upstream: entry.name, state: "restored", factor: after, load: entry.load });
      if (ticks % SWEEP_EVERY_TICKS === 0) entry.signal.sweep(ticks - STALE_AFTER_TICKS);
      if (after < 1 || entry.signal.inFlight > 0) settled = false;
    }
    idleTicks = used || !settled ? 0 : idleTicks + 1;
    used = false;
    if (idleTicks >= IDLE_TICKS) sleep();
  }

  function wake(): void {
    probe.start();
    timer = setInterval(tick, tickMs);
    timer.unref();
  }

  function sleep(): void {
    if (timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
    probe.stop();
    delays.length = 0;
    delayMs = 0;
    idleTicks = 0;
  }

  return {
    upstream,
    touch() {
      used = true;
      if (timer === undefined && autoTick) wake();
    },
    tick,
    configure(next) {
      settings = next;
      factorOptions = factorOptionsOf(next);
      for (const entry of entries.values()) {
        entry.bounds = next.upstreams.get(entry.name) ?? next;
        entry.controller.configure(factorOptions);
      }
    },
    snapshot() {
      return [...entries.values()].map((entry) => ({
        upstream: entry.name,
        factor: entry.controller.factor,
        trend: entry.controller.trend,
        load: entry.load,
        inFlight: entry.signal.inFlight,
        latencyMs: entry.signal.latencyMs,
        eventLoopDelayMs: delayMs,
      }));
    },
    get ticking() {
      return timer !== undefined;
    },
    close: sleep,
  };
}

function factorOptionsOf(config: AdaptiveConfig): FactorOptions {
  return { minFactor: config.minFactor, maxChangePerSecond: config.maxChangePerSecond, highWater: config.highWater, lowWater: config.lowWater };
}
