/**
 * Load generator for the overload test, in a worker thread so its own work does not count as
 * the gateway's event-loop delay: an open-loop flood from many untrusted source addresses and
 * a trusted client at a steady rate from its own address, both bounded by time and count.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Pool } from "undici";

export interface LoadPlan {
  readonly url: string;
  readonly path: string;
  readonly durationMs: number;
  /** Flood: requests per second over all sources, from `127.0.1.1` … `127.0.1.<sources>`. */
  readonly floodRate: number;
  readonly sources: number;
  /** Most flood requests outstanding at once (beyond it a tick sends nothing: still bounded). */
  readonly maxOutstanding: number;
  /** Trusted client: requests per second from `trustedAddress`. */
  readonly trustedRate: number;
  readonly trustedAddress: string;
  /** A trusted request slower than this is a failure. */
  readonly trustedTimeoutMs: number;
}

export interface LoadResult {
  /** Flood requests answered, by status (0 = failed without an answer). */
  readonly flood: Record<string, number>;
  readonly floodSent: number;
  /** Planned flood requests not sent because `maxOutstanding` were already out. */
  readonly floodSkipped: number;
  /** Flood requests answered per second over the flood's duration. */
  readonly floodRate: number;
  readonly trusted: Record<string, number>;
  readonly trustedSent: number;
  readonly trustedMaxLatencyMs: number;
  readonly trustedP99LatencyMs: number;
  readonly elapsedMs: number;
}

const TICK_MS = 10;

async function run(plan: LoadPlan): Promise<LoadResult> {
  const pools = Array.from({ length: plan.sources }, (_, i) => new Pool(plan.url, { connections: 4, localAddress: `127.0.1.${i + 1}` }));
  const trustedPool = new Pool(plan.url, { connections: 8, localAddress: plan.trustedAddress });
  const flood: Record<string, number> = {};
  const trusted: Record<string, number> = {};
  const trustedLatencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let outstanding = 0;
  let floodScheduled = 0;
  let floodSkipped = 0;
  let trustedSent = 0;
  const count = (into: Record<string, number>, status: number) => {
    into[status] = (into[status] ?? 0) + 1;
  };

  const send = (pool: Pool, timeoutMs: number, done: (status: number, ms: number) => void) => {
    const started = performance.now();
    const request = pool.request({ method: "GET", path: plan.path, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      .then(async (response) => {
        await response.body.dump();
        done(response.statusCode, performance.now() - started);
      })
      .catch(() => done(0, performance.now() - started))
      .finally(() => pending.delete(request));
    pending.add(request);
  };

  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= plan.durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Open loop: catch up to the planned count, whatever the answers are doing.
      const floodDue = Math.floor((elapsed / 1000) * plan.floodRate);
      while (floodScheduled < floodDue && outstanding < plan.maxOutstanding) {
        const pool = pools[floodScheduled % pools.length]!;
        floodScheduled++;
        outstanding++;
        send(pool, 10_000, (status) => {
          outstanding--;
          count(flood, status);
        });
      }
      // Past the bound on outstanding requests the rest of this tick's share is skipped, not queued.
      floodSkipped += floodDue - floodScheduled;
      floodScheduled = floodDue;
      const trustedDue = Math.floor((elapsed / 1000) * plan.trustedRate) + 1;
      while (trustedSent < trustedDue) {
        trustedSent++;
        send(trustedPool, plan.trustedTimeoutMs, (status, ms) => {
          count(trusted, status);
          trustedLatencies.push(ms);
        });
      }
    }, TICK_MS);
  });
  const floodElapsed = performance.now() - started;
  await Promise.all([...pending]);
  await Promise.all([...pools, trustedPool].map((pool) => pool.close()));
  const answered = Object.entries(flood).reduce((sum, [status, n]) => sum + (status === "0" ? 0 : n), 0);
  trustedLatencies.sort((a, b) => a - b);
  return {
    flood,
    floodSent: Object.values(flood).reduce((a, b) => a + b, 0),
    floodSkipped,
    floodRate: answered / (floodElapsed / 1000),
    trusted,
    trustedSent,
    trustedMaxLatencyMs: trustedLatencies.at(-1) ?? 0,
    trustedP99LatencyMs: trustedLatencies[Math.min(trustedLatencies.length - 1, Math.floor(trustedLatencies.length * 0.99))] ?? 0,
    elapsedMs: floodElapsed,
  };
}

if (parentPort !== null) {
  const port = parentPort;
  run(workerData as LoadPlan).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: unknown) => port.postMessage({ ok: false, error: String(error) }),
  );
}
