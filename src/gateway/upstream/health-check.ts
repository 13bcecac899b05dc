/** Active health checks: a GET on each target at an interval, with consecutive-result thresholds. */
import { Client } from "undici";
import type { HealthCheckConfig } from "../../config/config.ts";
import type { Target } from "./target.ts";
import type { UpstreamTlsOptions } from "./tls.ts";

/** Stops the checks and closes their connection. */
export type StopHealthChecks = () => Promise<void>;

/**
 * Probes `target.basePath + check.path` every `intervalMs` (next probe after the previous one ends,
 * so probes never pile up on a slow target). A 2xx within `timeoutMs` is a success;
 * `unhealthyAfter` failures in a row take the target out, `healthyAfter` successes bring it back.
 * The probe uses its own connection so it never queues behind proxied traffic.
 */
export function startHealthChecks(target: Target, check: HealthCheckConfig, tls: UpstreamTlsOptions, connectTimeoutMs: number): StopHealthChecks {
  const client = new Client(target.origin, {
    pipelining: 1,
    headersTimeout: check.timeoutMs,
    bodyTimeout: check.timeoutMs,
    keepAliveTimeout: check.intervalMs + check.timeoutMs,
    connect: { ...tls, timeout: Math.min(connectTimeoutMs, check.timeoutMs) },
  });
  const path = target.basePath + check.path;
  let successes = 0;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function probe(): Promise<boolean> {
    try {
      const { statusCode, body } = await client.request({ method: "GET", path, signal: AbortSignal.timeout(check.timeoutMs) });
      await body.dump();
      return statusCode >= 200 && statusCode < 300;
    } catch {
      return false; // refused, reset, timed out or aborted: all mean "not serving"
    }
  }

  async function runOnce(): Promise<void> {
    const ok = await probe();
    if (stopped) return;
    if (ok) {
      target.everReachable = true;
      failures = 0;
      successes += 1;
      if (!target.checkHealthy && successes >= check.healthyAfter) target.checkHealthy = true;
    } else {
      successes = 0;
      failures += 1;
      if (target.checkHealthy && failures >= check.unhealthyAfter) target.checkHealthy = false;
    }
    schedule(check.intervalMs);
  }

  function schedule(delayMs: number): void {
    // unref: health checks alone must not keep the process alive.
    timer = setTimeout(() => void runOnce(), delayMs).unref();
  }

  schedule(0);
  return async () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    await client.destroy();
  };
}
