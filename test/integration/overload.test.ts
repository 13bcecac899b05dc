/**
 * The overload test of the rate-limit issue: an upstream that serves 200 requests/s, a flood
 * from untrusted sources at more than 3× that, and a trusted client at 20 requests/s. The
 * trusted client's success rate must stay ≥ 99 %, and the limits must be back to normal within
 * 60 s of the flood ending. Real sockets throughout: a concurrency-limited upstream, the
 * gateway started in-process, the load from a worker thread (its own event loop, so the
 * generator's work is not the gateway's event-loop delay), source addresses bound per client.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { Pool } from "undici";
import { startGateway, type Gateway } from "../../src/gateway/gateway.ts";
import type { LoadPlan, LoadResult } from "../helpers/adaptive-load-worker.ts";
import { configFrom } from "../helpers/server-gateway.ts";

/** The upstream's capacity: at most 10 requests in service, 50 ms each = 200 requests/s; the rest wait in line. */
const UPSTREAM_SLOTS = 10;
const SERVICE_MS = 50;
const UPSTREAM_RATE = (UPSTREAM_SLOTS * 1000) / SERVICE_MS;
const FLOOD_MS = 10_000;
const FLOOD_RATE = 1000;
const TRUSTED_RATE = 20;
const FULL_LIMIT = 20;
const RECOVERY_BOUND_MS = 60_000;

interface Upstream {
  readonly url: string;
  /** Requests answered, with the time of each answer (ms, performance.now). */
  readonly answeredAt: number[];
  close(): Promise<void>;
}

/** A backend with a fixed capacity: beyond its slots requests queue (FIFO), so latency grows with load. */
async function startLimitedUpstream(): Promise<Upstream> {
  const answeredAt: number[] = [];
  const waiting: (() => void)[] = [];
  let busy = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    const serve = () => {
      busy++;
      setTimeout(() => {
        busy--;
        answeredAt.push(performance.now());
        res.end("ok");
        waiting.shift()?.();
      }, SERVICE_MS);
    };
    if (busy < UPSTREAM_SLOTS) serve();
    else waiting.push(serve);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answeredAt,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const yaml = (upstreamUrl: string) => `
listeners:
  - { name: main, address: 127.0.0.1, port: 0 }
upstreams:
  api:
    targets: ["${upstreamUrl}"]
routes:
  - path: /work
    methods: [GET]
    upstream: api
    rate_limits:
      # ${FULL_LIMIT} per second per address, bursts of ${FULL_LIMIT}: the flood's 32 addresses may send 640/s
      # when the limits are whole, more than three times what the upstream can serve.
      - { name: per_ip, algorithm: token_bucket, burst: ${FULL_LIMIT}, rate: ${FULL_LIMIT}, window: 1s, key: [ip] }
rate_limits:
  allow:
    - { name: trusted_clients, cidrs: [127.0.0.2/32] }
adaptive:
  target_latency: 150ms       # 3× the upstream's unloaded 50 ms: healthy reads 0.33, under low water (0.5)
  max_in_flight: 20           # twice its slots: a short line is fine, a long one is overload
  # min_factor and max_change_per_second are the defaults (0.1 and 0.1/s): nothing is sped up for the test.
admin: { enabled: false }
logging: { level: warn }
`;

interface ProbeReading {
  readonly at: number;
  readonly status: number;
  /** The per_ip quota in RateLimit-Policy (the limit as scaled now), when the answer had one. */
  readonly quota: number | undefined;
}

describe("overload", () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let url: string;

  before(async () => {
    upstream = await startLimitedUpstream();
    gateway = await startGateway(configFrom(yaml(upstream.url)));
    url = gateway.listeners[0]!.url;
  });

  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it("a trusted client keeps ≥ 99 % success through a 5× flood, and the limits are whole again within 60 s of its end", { timeout: 90_000 }, async () => {
    // A normal client from its own address reads the limit it is given, every 250 ms, throughout.
    const probePool = new Pool(url, { connections: 1, localAddress: "127.0.0.3" });
    const readings: ProbeReading[] = [];
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        const at = performance.now();
        try {
          const response = await probePool.request({ method: "GET", path: "/work", headersTimeout: 5000, bodyTimeout: 5000 });
          await response.body.dump();
          readings.push({ at, status: response.statusCode, quota: quotaOf(response.headers["ratelimit-policy"]) });
        } catch {
          readings.push({ at, status: 0, quota: undefined });
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.ok(readings.length > 0 && readings.every((r) => r.status === 200 && r.quota === FULL_LIMIT), "before the flood the limits are whole");

      const floodStart = performance.now();
      const load = await runLoad({
        url,
        path: "/work",
        durationMs: FLOOD_MS,
        floodRate: FLOOD_RATE,
        sources: 32,
        maxOutstanding: 2000,
        trustedRate: TRUSTED_RATE,
        trustedAddress: "127.0.0.2",
        trustedTimeoutMs: 2000,
      });
      const floodEnd = performance.now();

      // The limits are back to normal when the probe is given the full limit and keeps it (2 s).
      const deadline = floodEnd + RECOVERY_BOUND_MS;
      let restoredAt: number | undefined;
      while (performance.now() < deadline) {
        restoredAt = restoredSince(readings, floodEnd);
        if (restoredAt !== undefined && performance.now() - restoredAt >= 2000) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }

      const during = readings.filter((r) => r.at >= floodStart && r.at < floodEnd);
      const lowest = Math.min(...during.flatMap((r) => (r.quota === undefined ? [] : [r.quota])));
      const served = upstream.answeredAt.filter((t) => t >= floodStart && t < floodEnd).length;
      const trustedOk = load.trusted["200"] ?? 0;
      const trustedRate = trustedOk / load.trustedSent;
      const recoveryMs = restoredAt === undefined ? undefined : restoredAt - floodEnd;
      console.log(JSON.stringify({
        flood_answered_per_s: Math.round(load.floodRate),
        flood_by_status: load.flood,
        flood_skipped: load.floodSkipped,
        upstream_served_per_s: Math.round(served / (FLOOD_MS / 1000)),
        trusted_sent: load.trustedSent,
        trusted_by_status: load.trusted,
        trusted_success: trustedRate,
        trusted_p99_ms: Math.round(load.trustedP99LatencyMs),
        trusted_max_ms: Math.round(load.trustedMaxLatencyMs),
        lowest_quota_during_flood: lowest,
        limits_restored_after_ms: recoveryMs === undefined ? null : Math.round(recoveryMs),
      }));

      // The setting is what the issue asks for: a flood of ≥ 3× what the upstream serves.
      assert.ok(served <= UPSTREAM_RATE * (FLOOD_MS / 1000) * 1.05, `the upstream served ${served}: more than its capacity?`);
      assert.ok(load.floodRate >= 3 * UPSTREAM_RATE, `the flood reached only ${Math.round(load.floodRate)} requests/s`);
      assert.ok(load.trustedSent >= TRUSTED_RATE * (FLOOD_MS / 1000) * 0.95, `the trusted client sent only ${load.trustedSent}`);
      // The trusted client is served.
      assert.ok(trustedRate >= 0.99, `trusted success ${(trustedRate * 100).toFixed(2)} % (${JSON.stringify(load.trusted)})`);
      // Both mechanisms were at work: untrusted clients were shed (503) and their limits shrank.
      assert.ok((load.flood["503"] ?? 0) > 0, "no flood request was shed");
      assert.ok(lowest <= FULL_LIMIT / 2, `the limit only went down to ${lowest} of ${FULL_LIMIT}`);
      // And the limits are whole again within 60 s of the flood's end.
      assert.ok(recoveryMs !== undefined, `the limits were not back to ${FULL_LIMIT} within ${RECOVERY_BOUND_MS} ms`);
      assert.ok(recoveryMs <= RECOVERY_BOUND_MS);
    } finally {
      probing = false;
      await probeLoop;
      await probePool.close();
    }
  });
});

/** The per_ip quota (`q=`) in a RateLimit-Policy header. */
function quotaOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /"per_ip";q=(\d+)/.exec(value);
  return match === null ? undefined : Number(match[1]);
}

/** When the probe's readings after `since` started showing the full limit for good (undefined if the last one does not). */
function restoredSince(readings: readonly ProbeReading[], since: number): number | undefined {
  let restored: number | undefined;
  for (const reading of readings) {
    if (reading.at < since) continue;
    if (reading.quota === FULL_LIMIT) restored ??= reading.at;
    else restored = undefined;
  }
  return restored;
}

function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const worker = new Worker(new URL("../helpers/adaptive-load-worker.ts", import.meta.url), { workerData: plan });
  return new Promise<LoadResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the load worker did not finish in time")), plan.durationMs + 30_000);
    worker.once("message", (message: { ok: boolean; result?: LoadResult; error?: string }) => {
      clearTimeout(timer);
      if (message.ok && message.result !== undefined) resolve(message.result);
      else reject(new Error(`load worker failed: ${message.error ?? "unknown"}`));
    });
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  }).finally(() => worker.terminate());
}
