/**
 * The factor controller: a multiplier in [minFactor, 1] for the limits of normal and
 * suspicious clients, driven by a load measurement (1 = a capacity bound reached).
 *
 * Why these rules:
 * - Rate of change bounded by elapsed time, not by ticks: the factor moves at most
 *   `maxChangePerSecond × seconds since the last update`, so a late tick (a blocked event loop)
 *   or a fast one (a test) cannot move it faster. Limits that halve in an instant would turn a
 *   latency blip into a wave of 429s; limits that snap back would re-flood a recovering backend.
 * - Hysteresis: down only while load > highWater, up only while load < lowWater, and hold in
 *   between. A load hovering around one threshold then never flaps the limits (each flap would
 *   change every client's allowance).
 * - Recovery to exactly 1: once load is low the factor climbs at the same bounded rate and is
 *   clamped to 1, so "back to normal" is an exact state, not an asymptote.
 */

/** The most time one update may account for: the controller reacts to what it measured, not to gaps. */
const MAX_STEP_SECONDS = 1;

/** Options of a controller, checked once by `createFactorController`. */
export interface FactorOptions {
  /** The lowest factor, in (0, 1]. */
  readonly minFactor: number;
  /** The most the factor moves per second, > 0. */
  readonly maxChangePerSecond: number;
  /** Load above which the factor goes down. */
  readonly highWater: number;
  /** Load below which the factor goes up; must be below highWater. */
  readonly lowWater: number;
}

/** Which way the last update moved the factor (for the log and the tests). */
export type FactorTrend = "down" | "hold" | "up";

export interface FactorController {
  /** The current factor, in [minFactor, 1]. */
  readonly factor: number;
  readonly trend: FactorTrend;
  /** Feeds a load measurement taken at `nowMs` (a monotonic clock); returns the new factor. */
  update(load: number, nowMs: number): number;
  /** New options, keeping the current factor (clamped to the new range). */
  configure(options: FactorOptions): void;
}

/** Options a controller cannot work with. */
export class FactorOptionsError extends RangeError {
  override readonly name = "FactorOptionsError";
}

/** A controller at factor 1, whose first update counts time from `startMs`. */
export function createFactorController(options: FactorOptions, startMs: number): FactorController {
  let settings = checked(options);
  let factor = 1;
  let trend: FactorTrend = "hold";
  let lastMs = startMs;
  return {
    get factor() {
      return factor;
    },
    get trend() {
      return trend;
    },
    update(load, nowMs) {
      // A clock that went backwards grants no time, and a long gap between updates (a blocked
      // loop, a sleeping ticker) is not credited: one update moves at most one second's worth.
      const seconds = Math.min(MAX_STEP_SECONDS, Math.max(0, nowMs - lastMs) / 1000);
      lastMs = Math.max(lastMs, nowMs);
      const step = settings.maxChangePerSecond * seconds;
      // NaN (no measurement) holds, like a load between the water marks.
      if (load > settings.highWater) {
        trend = "down";
        factor = Math.max(settings.minFactor, factor - step);
      } else if (load < settings.lowWater) {
        trend = "up";
        factor = Math.min(1, factor + step);
      } else {
        trend = "hold";
      }
      return factor;
    },
    configure(next) {
      settings = checked(next);
      factor = Math.min(1, Math.max(settings.minFactor, factor));
    },
  };
}

function checked(options: FactorOptions): FactorOptions {
  const { minFactor, maxChangePerSecond, highWater, lowWater } = options;
  if (!(minFactor > 0 && minFactor <= 1)) throw new FactorOptionsError(`minFactor must be in (0, 1], got ${minFactor}`);
  if (!(maxChangePerSecond > 0 && Number.isFinite(maxChangePerSecond))) throw new FactorOptionsError(`maxChangePerSecond must be a positive number, got ${maxChangePerSecond}`);
  if (!(lowWater > 0 && lowWater < highWater && Number.isFinite(highWater))) {
    throw new FactorOptionsError(`lowWater must be above 0 and below highWater, got lowWater ${lowWater}, highWater ${highWater}`);
  }
  return Object.freeze({ minFactor, maxChangePerSecond, highWater, lowWater });
}
