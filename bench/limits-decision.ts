/**
 * What the pipeline's decision costs per request in this process, for bench:limits' route
 * without limits, with its 3 memory limits, and with them but `headers: false`: the rate-limit
 * layer's own work (keys, one admission, the RateLimit values, observe), with no sockets, no
 * upstream and no other process. The gateway bench's ratio also carries what Node does with
 * the two extra header fields and how far two processes of the same code differ; this figure
 * carries neither, only the machine's speed: four runs the same day gave 914, 960, 1347 and
 * 911 ns with the 3 memory limits, and 176, 174, 260 and 173 ns without.
 */
import { parseConfig } from "../src/config/load.ts";
import { compose, type Composed } from "../src/compose/pipeline.ts";
import type { LayerContext, Outcome, RequestFacts } from "../src/engine/index.ts";
import { createMemoryControls } from "../src/store/memory/controls.ts";
import { limitsBenchYaml, type Limits } from "./limits-config.ts";

const PATH = "/api/items/42";
const HEADERS = { host: "127.0.0.1", "user-agent": "autocannon", accept: "*/*" };
const OUTCOME: Outcome = { status: 200, durationMs: 1, upstreamMs: 1, bytesIn: 0, bytesOut: 60, aborted: false };

function composeFor(limits: Limits): Composed {
  const yaml = limitsBenchYaml({ upstreamPort: 9, logFile: "/dev/null", limits, redisPort: 6379, keyPrefix: "unused:" });
  const parsed = parseConfig(yaml, undefined);
  if (!parsed.ok) throw new Error(`bench config does not load: ${JSON.stringify(parsed.issues)}`);
  return compose(parsed.config, { controls: createMemoryControls() });
}

/** Nanoseconds per decision (evaluate, then observe) over `requests` requests of one client. */
function measure(composed: Composed, requests: number): number {
  const route = composed.router.match(PATH);
  const started = performance.now();
  for (let i = 0; i < requests; i++) {
    const facts: RequestFacts = {
      id: `bench-${i}`, receivedAt: Date.now(), clientIp: "127.0.0.1", peerIp: "127.0.0.1", method: "GET",
      path: PATH, query: "", host: "127.0.0.1", protocol: "http", headers: HEADERS, route, tls: undefined,
      urlBytes: PATH.length, headerBytes: 64, contentLength: undefined, body: undefined,
    };
    const ctx = composed.pipeline.evaluate(facts) as LayerContext;
    if (ctx.decision?.action !== "allow") throw new Error(`the bench route must allow every request, got ${ctx.decision?.action}`);
    composed.pipeline.observe(facts, ctx, OUTCOME);
  }
  return ((performance.now() - started) * 1e6) / requests;
}

export interface DecisionCosts {
  /** Median ns per decision over rounds, per config. */
  readonly ns: Record<"none" | "memory" | "memory_no_headers", number>;
}

/** Rounds in mirrored order (none, memory, quiet, quiet, memory, none), after one round of warm-up. */
export function decisionCosts(rounds = 7, requests = 200_000): DecisionCosts {
  const configs = (["none", "memory", "memory_no_headers"] as const).map((limits) => [limits, composeFor(limits)] as const);
  const samples = { none: [] as number[], memory: [] as number[], memory_no_headers: [] as number[] };
  for (let round = 0; round <= rounds; round++) {
    for (const [limits, composed] of [...configs, ...configs.toReversed()]) {
      const ns = measure(composed, requests);
      if (round > 0) samples[limits].push(ns);
    }
  }
  const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1]!;
  return { ns: { none: median(samples.none), memory: median(samples.memory), memory_no_headers: median(samples.memory_no_headers) } };
}
