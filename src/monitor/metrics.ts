/** CONTRACT STUB (owner: observability helper) — Prometheus metrics of the gateway. */
import type { Registry } from "prom-client";
import type { Action } from "../engine/index.ts";

export interface GatewayMetrics {
  readonly registry: Registry;
  /** In-flight gauge +1. */
  requestStarted(): void;
  /** In-flight gauge −1, requests counter by route/action/status, upstream latency histogram. */
  requestFinished(route: string, action: Action, status: number, upstreamMs: number | undefined): void;
  /** Decision latency histogram (microsecond buckets, 5 µs to 50 ms). */
  decisionTook(seconds: number): void;
}

export function createGatewayMetrics(): GatewayMetrics {
  throw new Error("contract stub");
}
