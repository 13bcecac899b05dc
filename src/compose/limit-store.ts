/**
 * Picks the limit store driver named by `stores.limits`. Called once per process by the
 * gateway (or an adapter), never per config generation: counters must survive reloads.
 */
import type { LimitStoreConfig } from "../config/config.ts";
import type { LimitStore } from "../store/limits.ts";
import { createMemoryLimitStore } from "../store/memory/limit-store.ts";
import { createRedisLimitStore } from "../store/redis/limit-store.ts";

/** A memory or Redis LimitStore as configured. Close it on shutdown (after flushing the layer). */
export function createLimitStore(config: LimitStoreConfig): LimitStore {
  if (config.driver === "memory") return createMemoryLimitStore({ maxBytes: config.maxBytes });
  return createRedisLimitStore({
    ...(config.cluster === undefined ? { host: config.host, port: config.port } : { cluster: config.cluster }),
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(config.db === undefined ? {} : { db: config.db }),
    ...(config.keyPrefix === undefined ? {} : { keyPrefix: config.keyPrefix }),
    timeoutMs: config.timeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
  });
}
