/** Compiles `upstreams:` into UpstreamConfig: targets split into origin and base path, defaults applied. */
import type { HealthCheckConfig, UpstreamConfig, UpstreamTarget, UpstreamTlsConfig } from "./config.ts";
import type { CompileContext } from "./compile-context.ts";
import type { KeyPath } from "./positions.ts";
import type { RampartOptions } from "./schema.ts";

type UpstreamOptions = RampartOptions["upstreams"][string];

export function compileUpstream(ctx: CompileContext, name: string, options: UpstreamOptions): UpstreamConfig {
  const at: KeyPath = ["upstreams", name];
  const check = options.health_check;
  const healthCheck: HealthCheckConfig | undefined = check === undefined ? undefined : {
    path: check.path,
    intervalMs: ctx.duration([...at, "health_check", "interval"], check.interval, 5_000),
    timeoutMs: ctx.duration([...at, "health_check", "timeout"], check.timeout, 2_000),
    healthyAfter: check.healthy_after ?? 2,
    unhealthyAfter: check.unhealthy_after ?? 2,
  };
  if (healthCheck !== undefined && healthCheck.timeoutMs > healthCheck.intervalMs) {
    ctx.error([...at, "health_check", "timeout"], "must not be longer than health_check.interval");
  }
  return {
    name,
    targets: (options.targets ?? []).map((target, i) => compileTarget(ctx, [...at, "targets", i], target)),
    balance: options.balance ?? "round_robin",
    connectTimeoutMs: ctx.duration([...at, "timeouts", "connect"], options.timeouts?.connect, 5_000),
    responseHeadersTimeoutMs: ctx.duration([...at, "timeouts", "response_headers"], options.timeouts?.response_headers, 30_000),
    idleTimeoutMs: ctx.duration([...at, "timeouts", "idle"], options.timeouts?.idle, 60_000),
    connectionsPerTarget: options.keep_alive?.connections ?? 64,
    keepAliveIdleMs: ctx.duration([...at, "keep_alive", "idle"], options.keep_alive?.idle, 30_000),
    healthCheck,
    passiveFailures: options.passive?.failures ?? 3,
    ejectForMs: ctx.duration([...at, "passive", "eject_for"], options.passive?.eject_for, 30_000),
    tls: compileTls(ctx, [...at, "tls"], options.tls),
  };
}

function compileTarget(ctx: CompileContext, path: KeyPath, text: string): UpstreamTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.error(path, `${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:3000)`);
    return { origin: text, basePath: "" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.error(path, `${JSON.stringify(text)} is not an http:// or https:// URL`);
  } else if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    // Credentials or a query in a target would be sent with every request, invisibly.
    ctx.error(path, `${JSON.stringify(url.origin + url.pathname)}: a target URL takes no credentials, query or fragment`);
  }
  const basePath = url.pathname === "/" ? "" : url.pathname.replace(/\/+$/, "");
  return { origin: url.origin, basePath };
}

function compileTls(ctx: CompileContext, at: KeyPath, tls: UpstreamOptions["tls"]): UpstreamTlsConfig | undefined {
  if (tls === undefined) return undefined;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    ctx.error(at, "a client certificate needs both cert and key");
  }
  return {
    caFile: tls.ca === undefined ? undefined : ctx.readableFile([...at, "ca"], tls.ca),
    certFile: tls.cert === undefined ? undefined : ctx.readableFile([...at, "cert"], tls.cert),
    keyFile: tls.key === undefined ? undefined : ctx.readableFile([...at, "key"], tls.key),
    serverName: tls.server_name,
    verify: tls.verify ?? true,
  };
}
