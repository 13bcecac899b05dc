/** One upstream target: its undici connection pool, its load, and why it is in or out of rotation. */
import { Pool } from "undici";
import type { UpstreamConfig, UpstreamTarget } from "../../config/config.ts";
import type { TargetHealth } from "./index.ts";
import type { UpstreamTlsOptions } from "./tls.ts";

/** A target and its state; the pool's balancer reads it, forward() and the health checks update it. */
export class Target {
  readonly origin: string;
  readonly basePath: string;
  readonly dispatcher: Pool;
  /** Requests sent and not yet finished (for least_in_flight and the admin view). */
  inFlight = 0;
  /** Verdict of the active health checks; targets start healthy so traffic flows before the first check. */
  checkHealthy = true;
  /** Epoch ms until which passive ejection keeps the target out; 0 when it is not ejected. */
  ejectedUntil = 0;
  /** A connection to it once succeeded: panic mode only sends traffic to targets known to exist. */
  everReachable = false;
  #consecutiveFailures = 0;
  readonly #failuresToEject: number;
  readonly #ejectForMs: number;

  constructor(target: UpstreamTarget, config: UpstreamConfig, tls: UpstreamTlsOptions) {
    this.origin = target.origin;
    this.basePath = target.basePath;
    this.#failuresToEject = config.passiveFailures;
    this.#ejectForMs = config.ejectForMs;
    this.dispatcher = new Pool(target.origin, {
      connections: config.connectionsPerTarget,
      pipelining: 1,
      keepAliveTimeout: config.keepAliveIdleMs,
      // The upstream's own Keep-Alive hint may shorten the idle time, never lengthen it past ours.
      keepAliveMaxTimeout: config.keepAliveIdleMs,
      headersTimeout: config.responseHeadersTimeoutMs,
      bodyTimeout: config.idleTimeoutMs,
      connect: { ...tls, timeout: config.connectTimeoutMs },
    });
  }

  /** In rotation: healthy by the checks and not passively ejected. */
  isAvailable(now: number): boolean {
    if (!this.checkHealthy) return false;
    if (this.ejectedUntil === 0) return true;
    if (now < this.ejectedUntil) return false;
    this.ejectedUntil = 0; // the ejection ran out: back in rotation
    return true;
  }

  /** The upstream answered: the failure streak is over. */
  recordSuccess(): void {
    this.#consecutiveFailures = 0;
  }

  /** A connect error, reset or timeout. Enough in a row eject the target (again, when already out). */
  recordFailure(now: number): void {
    this.#consecutiveFailures += 1;
    if (this.#consecutiveFailures >= this.#failuresToEject) {
      this.#consecutiveFailures = 0;
      this.ejectedUntil = now + this.#ejectForMs;
    }
  }

  health(now: number): TargetHealth {
    const reason = !this.checkHealthy ? "health_check" : this.ejectedUntil !== 0 && now < this.ejectedUntil ? "ejected" : "ok";
    return { origin: this.origin, healthy: reason === "ok", reason, inFlight: this.inFlight };
  }
}
