/**
 * The reverse proxy as a whole: listeners, the current generation (composed pipeline and
 * upstream pools, swapped atomically on reload), the admin listener and graceful shutdown.
 */
import { Gauge } from "prom-client";
import { compose, type ComposeDeps } from "../compose/pipeline.ts";
import type { Config } from "../config/config.ts";
import type { Controls } from "../engine/index.ts";
import { createLoadMonitor, type LoadMonitor } from "../limits/adaptive/index.ts";
import { startAdmin, type AdminServer, type Readiness } from "../monitor/admin.ts";
import { createGatewayMetrics } from "../monitor/metrics.ts";
import { createRequestLogger, type RequestLogger } from "../monitor/request-log.ts";
import type { LimitStore } from "../store/limits.ts";
import { drainServers } from "./drain.ts";
import { createListener, type Listener } from "./listener.ts";
import { checkListenersUnchanged, maxHeaderSizeOf } from "./reload-rules.ts";
import { listenerStateOf, type Generation, type Runtime } from "./runtime.ts";
import { openGatewayStores, type GatewayStores } from "./stores.ts";
import { readListenerTls, type ListenerTlsOptions } from "./tls.ts";
import { createUpstreamPools } from "./upstream/index.ts";

export interface BoundListener {
  readonly name: string;
  /** e.g. `http://127.0.0.1:8080` (the real port when the config said 0). */
  readonly url: string;
}

export interface Gateway {
  readonly listeners: readonly BoundListener[];
  /** Admin API base URL, undefined when the admin listener is disabled. */
  readonly adminUrl: string | undefined;
  readonly log: RequestLogger;
  /**
   * Swaps in a new, already validated config atomically: new routes, pipeline and pools
   * serve the next request; TLS certificates are re-read. If building anything fails the old
   * config keeps serving and the promise rejects with the reason (the caller logs it).
   */
  reload(config: Config): Promise<void>;
  /** Stops accepting, lets in-flight requests finish within the drain deadline, closes pools. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Defaults to the Controls `stores.controls` names (memory or Redis), created once per gateway. */
  readonly controls?: Controls;
  /**
   * Defaults to the store `stores.limits` names, created once at start and kept across reloads.
   * One passed here is the caller's: the gateway flushes its accounting into it but leaves it open.
   */
  readonly limitStore?: LimitStore;
  readonly now?: () => number;
  /** Defaults to a logger built from config.logging. */
  readonly log?: RequestLogger;
}

/** Starts every listener and the admin listener. Rejects (with everything closed again) when one cannot bind. */
export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const now = options.now ?? Date.now;
  const log = options.log ?? createRequestLogger(config.logging);
  const stores = await openGatewayStores(config, {
    now,
    logger: log.logger,
    ...(options.limitStore === undefined ? {} : { limitStore: options.limitStore }),
    ...(options.controls === undefined ? {} : { controls: options.controls }),
  });
  const controls = stores.controls;
  const composeDeps: ComposeDeps = {
    controls,
    now,
    limitStore: stores.limitStore,
    onLimitAccountingError: (error) => log.logger.error(
      { event: "limits.accounting_failed", group: error.group, err: error.message },
      "a rate-limit write off the request path failed (accounting after a response, or a penalty-box block): the store did not take it",
    ),
  };
  const metrics = createGatewayMetrics();
  // One load monitor per gateway, made when a config first turns `adaptive` on: factors that a
  // flood shrank must not jump back to 1 because an operator reloaded the config mid-attack.
  let loadMonitor: LoadMonitor | undefined;
  const depsFor = (next: Config): ComposeDeps => {
    if (next.adaptive === undefined) return composeDeps;
    loadMonitor ??= createLoadMonitor(next.adaptive, {
      now,
      onChange: (change) => log.logger.warn(
        { event: `adaptive.${change.state}`, upstream: change.upstream, factor: change.factor, load: change.load },
        change.state === "scaled" ? "upstream overloaded: limits of normal and suspicious clients shrink" : "upstream recovered: limits are whole again",
      ),
    });
    return { ...composeDeps, loadMonitor };
  };
  let first: Generation;
  try {
    first = newGeneration(config, depsFor(config));
  } catch (error) {
    loadMonitor?.close();
    await stores.close();
    throw error;
  }
  const retired = new Set<Generation>();
  let closing: Promise<void> | undefined;

  const runtime: Runtime = {
    current: first,
    draining: false,
    inFlight: 0,
    metrics,
    log,
    now,
    warnedTrustProxy: false,
    release(generation) {
      generation.inFlight--;
      runtime.inFlight--;
      if (generation.retired && generation.inFlight === 0) closeGeneration(generation);
    },
  };

  new Gauge({
    name: "rampart_adaptive_factor",
    help: "Factor (0..1] the adaptive controller applies to the limits of normal and suspicious clients, per upstream.",
    labelNames: ["upstream"],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const upstream of runtime.current.composed.adaptive?.snapshot() ?? []) this.set({ upstream: upstream.upstream }, upstream.factor);
    },
  });

  function closeGeneration(generation: Generation): void {
    if (!retired.delete(generation)) return;
    void flushLimits(generation, log);
    generation.pools.close().catch((error: unknown) => log.logger.error({ err: error }, "closing the upstream pools of a replaced config failed"));
  }

  const maxHeaderSize = maxHeaderSizeOf(config);
  const listeners: Listener[] = [];
  let admin: AdminServer | undefined;
  try {
    for (const listenerConfig of config.listeners) {
      listeners.push(createListener(listenerStateOf(listenerConfig), { runtime, maxHeaderSize, trusted: () => runtime.current.config.trustedProxies }));
    }
    for (const listener of listeners) await listener.listen();
    if (config.admin.enabled) {
      admin = await startAdmin(config.admin, { metrics, controls, logger: log.logger, readiness: () => readiness(runtime, stores, closing !== undefined) });
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => new Promise<void>((resolve) => (listener.server.listening ? listener.server.close(() => resolve()) : resolve()))));
    await first.pools.close().catch(() => undefined);
    await stores.close();
    throw error;
  }
  log.logger.info({ listeners: listeners.map((l) => l.url()), admin: admin?.url, mode: config.mode }, "gateway started");

  async function reload(next: Config): Promise<void> {
    if (closing !== undefined) throw new Error("the gateway is shutting down; reload ignored");
    checkListenersUnchanged(runtime.current.config, next);
    // Everything is built before anything is swapped: a failure leaves the running config untouched.
    const tls = new Map<string, ListenerTlsOptions>();
    for (const listenerConfig of next.listeners) if (listenerConfig.tls !== undefined) tls.set(listenerConfig.name, readListenerTls(listenerConfig.tls));
    const generation = newGeneration(next, depsFor(next));
    stores.noteReload(runtime.current.config, next);
    if (maxHeaderSizeOf(next) > maxHeaderSize) {
      log.logger.warn({ max_header_size: maxHeaderSize }, "header limits were raised: headers beyond the size the listeners started with get 431 until a restart");
    }
    for (const listener of listeners) {
      const listenerConfig = next.listeners.find((candidate) => candidate.name === listener.state.config.name);
      if (listenerConfig !== undefined) listener.apply(listenerConfig, tls.get(listenerConfig.name));
    }
    const old = runtime.current;
    runtime.current = generation;
    old.retired = true;
    retired.add(old);
    if (old.inFlight === 0) closeGeneration(old);
  }

  async function shutdown(): Promise<void> {
    runtime.draining = true;
    const inTime = await drainServers(listeners.map((l) => l.server), runtime.current.config.drainTimeoutMs);
    if (!inTime) log.logger.warn({ drain_timeout_ms: runtime.current.config.drainTimeoutMs }, "drain deadline reached: remaining connections were closed");
    const generations = [runtime.current, ...retired];
    retired.clear();
    // Accounting queued by the last requests goes to the store before the store closes.
    await Promise.all(generations.map((generation) => flushLimits(generation, log)));
    const pools = generations.map((generation) => generation.pools);
    await Promise.all(pools.map((p) => p.close().catch((error: unknown) => log.logger.error({ err: error }, "closing upstream pools failed"))));
    if (admin !== undefined) await admin.close().catch((error: unknown) => log.logger.error({ err: error }, "closing the admin listener failed"));
    loadMonitor?.close();
    await stores.close();
    log.logger.info("gateway stopped");
    await log.flush();
  }

  return {
    listeners: listeners.map((listener) => ({ name: listener.state.config.name, url: listener.url() })),
    adminUrl: admin?.url,
    log,
    reload,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

function newGeneration(config: Config, deps: ComposeDeps): Generation {
  const composed = compose(config, deps);
  const pools = createUpstreamPools(config.upstreams);
  return { config, composed, pools, inFlight: 0, retired: false };
}

/** Writes the rate-limit accounting a generation has queued; a failure is logged, never thrown. */
function flushLimits(generation: Generation, log: RequestLogger): Promise<void> {
  const layer = generation.composed.rateLimits;
  if (layer === undefined) return Promise.resolve();
  return layer.flush().catch((error: unknown) => log.logger.error({ err: error }, "flushing rate-limit accounting failed"));
}

/**
 * /readyz: config loaded, listeners bound (and not draining), at least one target available per
 * upstream, the stores reachable or their failure policy in force (stores.ts says which keep traffic away).
 */
function readiness(runtime: Runtime, stores: GatewayStores, stopping: boolean): Readiness {
  const storeState = stores.readiness(runtime.current.config);
  const checks: Record<string, { ok: boolean; detail?: string }> = {
    config: { ok: true },
    listeners: stopping ? { ok: false, detail: "shutting down" } : { ok: true },
    ...storeState.checks,
  };
  let ready = !stopping && storeState.ready;
  for (const pool of runtime.current.pools.all()) {
    const ok = pool.isAvailable();
    if (!ok) ready = false;
    checks[`upstream:${pool.name}`] = ok ? { ok } : { ok, detail: "no target available" };
  }
  return { ready, checks };
}
