/**
 * The stores a gateway process owns — the limit store and the Controls — created once at start
 * and kept across reloads: a reload must neither hand every client a fresh allowance nor forget
 * the blocks. compose/ picks the drivers; this file decides their lifetime and their readiness.
 */
import type { Logger } from "pino";
import { createControls, type ComposedControls, type ControlsHealth } from "../compose/controls.ts";
import { createLimitStore } from "../compose/limit-store.ts";
import { watchLimitStore, type StoreHealth, type WatchedLimitStore } from "../compose/store-health.ts";
import type { Config, ControlsStoreConfig, LimitStoreConfig } from "../config/config.ts";
import type { Controls } from "../engine/index.ts";
import type { LimitStore } from "../store/limits.ts";

const MEMORY_LIMITS: LimitStoreConfig = { driver: "memory", maxBytes: 64 * 1024 * 1024 };
const MEMORY_CONTROLS: ControlsStoreConfig = { driver: "memory" };

export interface StoreCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface GatewayStores {
  readonly limitStore: WatchedLimitStore;
  readonly controls: Controls;
  /**
   * `store:limits` and `store:controls` for /readyz, and whether they let the instance take
   * traffic. An unreachable limit store does not: the routes' `on_store_error` answers every
   * request (local limits or 503) on every instance alike, and taking them all out of rotation
   * would turn a degraded Redis into an outage. Controls never loaded do: such an instance
   * would let through clients every other instance blocks.
   */
  readiness(config: Config): { readonly ready: boolean; readonly checks: Readonly<Record<string, StoreCheck>> };
  /** Logs the store settings a reload changed: only a restart applies them. */
  noteReload(previous: Config, next: Config): void;
  /** Closes what start created (not stores passed in). */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** A limit store owned by the caller (left open by close()). */
  readonly limitStore?: LimitStore;
  /** Controls owned by the caller. */
  readonly controls?: Controls;
  readonly now: () => number;
  readonly logger: Logger;
}

export function limitStoreConfigOf(config: Config): LimitStoreConfig {
  return config.rateLimits?.store ?? MEMORY_LIMITS;
}

export function controlsStoreConfigOf(config: Config): ControlsStoreConfig {
  return config.controlsStore ?? MEMORY_CONTROLS;
}

function describeStore(store: LimitStoreConfig | ControlsStoreConfig): string {
  if (store.driver === "memory") return "memory";
  if ("cluster" in store && store.cluster !== undefined) return `redis cluster ${store.cluster.map((n) => `${n.host}:${n.port}`).join(",")}`;
  return `redis ${store.host}:${store.port}`;
}

/**
 * Creates the stores and waits, bounded, until they answer: the limit store up to its connect
 * timeout, the Controls up to their ready timeout. Neither failure stops the start — requests
 * then meet the routes' failure policy, and /readyz says why — but both are logged at error level.
 */
export async function openGatewayStores(config: Config, options: StoreOptions): Promise<GatewayStores> {
  const { logger } = options;
  const limitConfig = limitStoreConfigOf(config);
  const controlsConfig = controlsStoreConfigOf(config);
  const limitStore = watchLimitStore(options.limitStore ?? createLimitStore(limitConfig), {
    name: options.limitStore === undefined ? describeStore(limitConfig) : "limit store",
  });
  const composedControls: ComposedControls | undefined = options.controls === undefined
    ? createControls(controlsConfig, { now: options.now, logger })
    : undefined;
  const controlsHealth: () => ControlsHealth = composedControls?.health ?? (() => ({ ok: true, loaded: true, detail: "provided by the caller" }));

  const connectMs = limitConfig.driver === "redis" ? limitConfig.connectTimeoutMs : 0;
  const [limits] = await Promise.all([
    limitStore.probe(Math.max(connectMs, 1)),
    composedControls?.ready.catch((error: unknown) => {
      logger.error({ event: "store.controls_unavailable", err: error }, "controls not loaded at start: blocks set on other instances apply once the store answers");
    }),
  ]);
  if (!limits.ok) logger.error({ event: "store.limits_unavailable", detail: limits.detail }, "limit store unreachable at start: routes follow their on_store_error policy until it answers");

  return {
    limitStore,
    controls: composedControls?.controls ?? (options.controls as Controls),
    readiness(current) {
      const controls = controlsHealth();
      return {
        ready: controls.loaded,
        checks: {
          "store:limits": limitsCheck(limitStore.health(), current),
          "store:controls": controls.ok ? { ok: true, detail: controls.detail } : { ok: false, detail: controls.detail },
        },
      };
    },
    noteReload(previous, next) {
      const changed: string[] = [];
      if (JSON.stringify(limitStoreConfigOf(previous)) !== JSON.stringify(limitStoreConfigOf(next))) changed.push("stores.limits");
      if (JSON.stringify(controlsStoreConfigOf(previous)) !== JSON.stringify(controlsStoreConfigOf(next))) changed.push("stores.controls");
      if (changed.length > 0) logger.warn({ event: "store.reload_ignored", changed }, `${changed.join(" and ")} changed: the stores in use stay until a restart (counters and blocks must outlive reloads)`);
    },
    async close() {
      const closing: Promise<void>[] = [];
      if (options.limitStore === undefined) closing.push(limitStore.close());
      if (composedControls !== undefined) closing.push(composedControls.close());
      await Promise.all(closing.map((p) => p.catch((error: unknown) => logger.error({ err: error }, "closing a store failed"))));
    },
  };
}

/** The limit store's state, and when it is unreachable the policy answering meanwhile. */
function limitsCheck(health: StoreHealth, config: Config): StoreCheck {
  if (health.ok) return { ok: true, detail: health.detail };
  let open = 0;
  let closed = 0;
  for (const route of config.rateLimits?.routes.values() ?? []) {
    if (route.rules.length === 0) continue;
    if (route.rules.some((rule) => rule.onStoreError === "closed")) closed++;
    else open++;
  }
  const policy = `on_store_error in force: open on ${open} route(s) (local memory limits), closed on ${closed} route(s) (503)`;
  return { ok: false, detail: `${health.detail}; ${policy}` };
}
