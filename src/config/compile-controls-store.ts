/** Compiles `stores.controls` (where operator blocks and the penalty box live) into a ControlsStoreConfig. */
import type { CompileContext } from "./compile-context.ts";
import type { ControlsStoreConfig } from "./config.ts";
import type { KeyPath } from "./positions.ts";
import type { RampartOptions } from "./schema.ts";

type ControlsStoreOptions = NonNullable<RampartOptions["stores"]>["controls"];

const REDIS_ONLY = ["host", "port", "username", "password", "db", "key_prefix", "timeout", "connect_timeout", "ready_timeout"] as const;

/** The controls store: memory unless `driver: redis`; Redis settings on a memory store are an error, not silently ignored. */
export function compileControlsStore(ctx: CompileContext, store: ControlsStoreOptions): ControlsStoreConfig {
  const at: KeyPath = ["stores", "controls"];
  const driver = store?.driver ?? "memory";
  if (driver === "memory") {
    for (const key of REDIS_ONLY) if (store?.[key] !== undefined) ctx.error([...at, key], "applies to driver: redis only", "RAMPART_ERR_CONFIG_INVALID", "key");
    return { driver };
  }
  // The controls keys carry their own `{controls}` hash tag; braces in the prefix would move it.
  if (store?.key_prefix !== undefined && /[{}]/.test(store.key_prefix)) ctx.error([...at, "key_prefix"], "must not contain { or }");
  return {
    driver,
    host: store?.host ?? "127.0.0.1",
    port: store?.port ?? 6379,
    username: store?.username,
    password: store?.password,
    db: store?.db,
    keyPrefix: store?.key_prefix ?? "rampart:",
    timeoutMs: ctx.duration([...at, "timeout"], store?.timeout, 1000),
    connectTimeoutMs: ctx.duration([...at, "connect_timeout"], store?.connect_timeout, 1000),
    readyTimeoutMs: ctx.duration([...at, "ready_timeout"], store?.ready_timeout, 5000),
  };
}
