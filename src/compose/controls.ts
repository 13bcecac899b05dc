/**
 * Picks the Controls driver named by `stores.controls`: memory (this instance only) or Redis
 * (every instance, changes pushed over pub/sub). Called once per process, like the limit
 * store: blocks must survive reloads.
 */
import type { Logger } from "pino";
import type { ControlsStoreConfig } from "../config/config.ts";
import type { Controls } from "../engine/index.ts";
import { createMemoryControls } from "../store/memory/controls.ts";
import { createRedisControls, type RedisControls } from "../store/redis/controls.ts";
import type { StoreHealth } from "./store-health.ts";

/** Controls with what a process needs around them: when they are loaded, how they are, closing. */
export interface ComposedControls {
  readonly controls: Controls;
  /** Resolves once the blocks are loaded (at once for memory); rejects after the ready timeout. */
  readonly ready: Promise<void>;
  /** For /readyz: reachable or not, and whether the blocks were ever loaded. */
  health(): ControlsHealth;
  close(): Promise<void>;
}

/** A store's health, and whether the full set of blocks was loaded once (an instance without it misses blocks). */
export interface ControlsHealth extends StoreHealth {
  readonly loaded: boolean;
}

export interface ControlsDeps {
  /** Clock of the blocks (createdAt, expiry); default Date.now. */
  readonly now?: () => number;
  readonly logger?: Pick<Logger, "info" | "warn">;
}

/** Memory or Redis Controls as configured. */
export function createControls(config: ControlsStoreConfig, deps: ControlsDeps = {}): ComposedControls {
  if (config.driver === "memory") {
    const controls = createMemoryControls(deps.now === undefined ? {} : { now: deps.now });
    return { controls, ready: Promise.resolve(), health: () => ({ ok: true, loaded: true, detail: "memory" }), close: () => Promise.resolve() };
  }
  const where = `redis ${config.host}:${config.port}`;
  const redis = createRedisControls({
    redis: {
      host: config.host,
      port: config.port,
      connectTimeout: config.connectTimeoutMs,
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(config.password === undefined ? {} : { password: config.password }),
      ...(config.db === undefined ? {} : { db: config.db }),
    },
    prefix: config.keyPrefix,
    timeoutMs: config.timeoutMs,
    readyTimeoutMs: config.readyTimeoutMs,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });
  return { controls: redis, ready: redis.ready, health: followHealth(redis, where), close: () => redis.close() };
}

/**
 * Health of Redis Controls: following (subscribed, and loaded since the last reconnection) or
 * not, and whether the full set was ever loaded. An instance that loaded it once keeps
 * enforcing that copy while Redis is away; one that never did knows no block at all.
 */
function followHealth(redis: RedisControls, where: string): () => ControlsHealth {
  let loaded = false;
  let failure = "not loaded yet";
  redis.ready.then(
    () => { loaded = true; },
    (error: unknown) => { failure = error instanceof Error ? error.message : String(error); },
  );
  return () => {
    if (redis.isFollowing()) {
      loaded = true;
      return { ok: true, loaded, detail: `${where}: reachable, blocks followed over pub/sub` };
    }
    if (!loaded) return { ok: false, loaded, detail: `${where}: blocks not loaded (${failure})` };
    return { ok: false, loaded, detail: `${where}: disconnected; the last known blocks stay enforced from this instance's copy` };
  };
}
