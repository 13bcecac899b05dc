/** CONTRACT STUB (owner: server helper) — the reverse proxy as a whole. */
import type { Config } from "../config/config.ts";
import type { Controls } from "../engine/index.ts";
import type { RequestLogger } from "../monitor/request-log.ts";

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
  /** Defaults to the in-memory Controls. */
  readonly controls?: Controls;
  readonly now?: () => number;
  /** Defaults to a logger built from config.logging. */
  readonly log?: RequestLogger;
}

export function startGateway(config: Config, options?: GatewayOptions): Promise<Gateway> {
  void config; void options;
  throw new Error("contract stub");
}
