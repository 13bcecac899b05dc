/**
 * What "load" is made of: per upstream, the requests in flight to it and a moving average of
 * its latency (both fed by the shed layer from evaluate and observe, so the gateway needs no
 * hook), and for the whole process the event-loop delay of the gateway itself.
 */
import { monitorEventLoopDelay, type ELDHistogram } from "node:perf_hooks";

/** The event-loop delay of this process, sampled in windows. */
export interface EventLoopProbe {
  /** p99 delay in ms over the window since the previous call (0 when nothing was measured); starts a new window. */
  sample(): number;
  start(): void;
  stop(): void;
}

/** Sampling period of the event-loop histogram; its samples include this period, removed below. */
const PROBE_RESOLUTION_MS = 10;

/**
 * The event-loop delay from `perf_hooks.monitorEventLoopDelay`: a native timer that records how
 * late it fires, without adding work to the loop it measures. A late loop delays every request
 * the gateway holds, whatever the upstream does, so it counts as load on every upstream.
 */
export function createEventLoopProbe(): EventLoopProbe {
  let histogram: ELDHistogram | undefined;
  return {
    sample() {
      if (histogram === undefined || histogram.count === 0) return 0;
      // Each sample is the full interval between two timer runs: the resolution is not delay.
      const delayMs = Math.max(0, histogram.percentile(99) / 1e6 - PROBE_RESOLUTION_MS);
      histogram.reset();
      return delayMs;
    },
    start() {
      histogram ??= monitorEventLoopDelay({ resolution: PROBE_RESOLUTION_MS });
      histogram.enable();
    },
    stop() {
      histogram?.disable();
      histogram?.reset();
    },
  };
}

/**
 * Time constant of the latency average: about a second of history, so a burst of slow
 * answers shows within a few ticks and one slow request among many does not.
 */
const LATENCY_TAU_MS = 1000;

/**
 * How long without an answer before an idle upstream's latency average decays. A backend with
 * a request every few seconds keeps its measured latency between them; one with no traffic at
 * all is not loaded by us, and its stale average must not hold the limits down forever.
 */
const IDLE_DECAY_AFTER_MS = 1000;

/** What one window of traffic to an upstream looked like. */
export interface UpstreamWindow {
  /** The most requests in flight at once during the window. */
  readonly peakInFlight: number;
  /** Latency moving average after this window, ms. */
  readonly latencyMs: number;
}

/** In-flight requests and latency of one upstream. */
export interface UpstreamSignal {
  readonly inFlight: number;
  /** Moving average of the time to response headers, ms (as of the last fold). */
  readonly latencyMs: number;
  /** A request starts towards the upstream; `tick` is the monitor's tick count (to find leaks). */
  enter(request: object, tick: number): void;
  /** A request ended; `latencyMs` when the upstream answered or failed. False when `request` never entered. */
  leave(request: object, latencyMs: number | undefined): boolean;
  /** Closes the window at `nowMs` (monotonic) and returns what it saw. */
  fold(nowMs: number): UpstreamWindow;
  /** Forgets requests that entered before `tick` and never left; returns how many. */
  sweep(tick: number): number;
}

export function createUpstreamSignal(startMs: number): UpstreamSignal {
  // Keyed by the request's context, not a counter: a request that never comes back (a bug
  // path, a lost observe) can be found and forgotten instead of holding capacity forever.
  const entered = new Map<object, number>();
  let peak = 0;
  let latencySum = 0;
  let latencyCount = 0;
  let average = 0;
  let lastFoldMs = startMs;
  let lastAnswerMs = startMs;
  return {
    get inFlight() {
      return entered.size;
    },
    get latencyMs() {
      return average;
    },
    enter(request, tick) {
      entered.set(request, tick);
      if (entered.size > peak) peak = entered.size;
    },
    leave(request, latencyMs) {
      if (!entered.delete(request)) return false;
      if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
        latencySum += latencyMs;
        latencyCount++;
      }
      return true;
    },
    fold(nowMs) {
      const elapsed = Math.max(0, nowMs - lastFoldMs);
      lastFoldMs = Math.max(lastFoldMs, nowMs);
      const weight = 1 - Math.exp(-elapsed / LATENCY_TAU_MS);
      if (latencyCount > 0) {
        average += weight * (latencySum / latencyCount - average);
        lastAnswerMs = nowMs;
      } else if (entered.size === 0 && nowMs - lastAnswerMs > IDLE_DECAY_AFTER_MS) {
        average -= weight * average;
      }
      // With requests still out and no answer, the average holds: silence is not speed.
      const window = { peakInFlight: peak, latencyMs: average };
      peak = entered.size;
      latencySum = 0;
      latencyCount = 0;
      return window;
    },
    sweep(tick) {
      let forgotten = 0;
      for (const [request, enteredAt] of entered) {
        if (enteredAt < tick) {
          entered.delete(request);
          forgotten++;
        }
      }
      return forgotten;
    },
  };
}
