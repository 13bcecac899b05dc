/** CONTRACT STUB (owner: observability helper) — the admin listener. */
import type { AdminConfig } from "../config/config.ts";
import type { Controls } from "../engine/index.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { Logger } from "pino";

export interface Readiness {
  readonly ready: boolean;
  /** Each check by name: config, listeners, upstream:NAME, store:NAME. */
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>;
}

export interface AdminDeps {
  readonly metrics: GatewayMetrics;
  readonly readiness: () => Readiness;
  readonly controls: Controls;
  readonly logger: Logger;
}

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

export function startAdmin(config: AdminConfig, deps: AdminDeps): Promise<AdminServer> {
  void config; void deps;
  throw new Error("contract stub");
}
