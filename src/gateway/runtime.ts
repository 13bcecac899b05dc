/**
 * The gateway's live state shared by every listener: the current generation (config, composed
 * pipeline and upstream pools, swapped as one reference on reload) and the process-wide
 * metrics and log. Old generations close their pools once their last request is done.
 */
import type { Composed } from "../compose/pipeline.ts";
import type { Config, ListenerConfig } from "../config/config.ts";
import type { GatewayMetrics } from "../monitor/metrics.ts";
import type { RequestLogger } from "../monitor/request-log.ts";
import type { UpstreamPools } from "./upstream/index.ts";

/** One config's worth of prepared state. Requests keep the generation they started on. */
export interface Generation {
  readonly config: Config;
  readonly composed: Composed;
  readonly pools: UpstreamPools;
  /** Requests started on this generation and not finished yet. */
  inFlight: number;
  /** Replaced by a newer generation: close the pools when the last request is done. */
  retired: boolean;
}

/** Per-listener settings that a reload may change (timeouts, HSTS, refusal of plain HTTP). */
export interface ListenerState {
  config: ListenerConfig;
  readonly protocol: "http" | "https";
  /** Whether the listener asks for client certificates (only then are they read). */
  readsClientCert: boolean;
  /** `{ "strict-transport-security": value }`, prepared once; undefined on plain HTTP or when off. */
  hstsHeaders: Readonly<Record<string, string>> | undefined;
}

export interface Runtime {
  current: Generation;
  /** Set by close(): answers carry `Connection: close` and idle sockets are closed. */
  draining: boolean;
  /** Requests in flight over every generation (drain waits for 0). */
  inFlight: number;
  readonly metrics: GatewayMetrics;
  readonly log: RequestLogger;
  readonly now: () => number;
  /** RAMPART_WARN_TRUST_PROXY_UNSET is logged once per process. */
  warnedTrustProxy: boolean;
  /** Called when a request ends: releases its generation, wakes the drain. */
  release(generation: Generation): void;
}

/** The HSTS header object for a listener, or undefined when it sends none. */
export function hstsHeadersOf(listener: ListenerConfig): Readonly<Record<string, string>> | undefined {
  if (listener.tls === undefined || listener.hsts === undefined) return undefined;
  return Object.freeze({ "strict-transport-security": listener.hsts });
}

/** Builds the mutable state of a listener from its config. */
export function listenerStateOf(listener: ListenerConfig): ListenerState {
  return {
    config: listener,
    protocol: listener.tls === undefined ? "http" : "https",
    readsClientCert: readsClientCert(listener),
    hstsHeaders: hstsHeadersOf(listener),
  };
}

/** Whether the listener asks clients for a certificate. */
export function readsClientCert(listener: ListenerConfig): boolean {
  return listener.tls !== undefined && (listener.tls.requestClientCert || listener.tls.clientCaFile !== undefined);
}
