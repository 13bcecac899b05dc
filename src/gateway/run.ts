/** CONTRACT STUB (owner: server helper) — run the gateway from a config file, as `rampart start` does. */
import type { ConfigIssue } from "../config/load.ts";
import type { Gateway } from "./gateway.ts";

export interface RunningGateway {
  readonly gateway: Gateway;
  /** Drains and stops (what SIGTERM does); resolves with the process exit code (0 or 1). */
  stop(): Promise<number>;
  /** Resolves with the exit code once the gateway has stopped for any reason. */
  readonly done: Promise<number>;
}

export type RunResult =
  | { readonly ok: true; readonly running: RunningGateway }
  | { readonly ok: false; readonly exitCode: 1 | 2; readonly issues: readonly ConfigIssue[]; readonly message: string };

export interface RunOptions {
  /** Install SIGHUP (reload), SIGTERM and SIGINT (drain, stop) handlers. Default true. */
  readonly signals?: boolean;
  /** Reload when the file changes on disk. Default true. */
  readonly watch?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Loads the file, starts the gateway, wires reload and shutdown. Bad config → exitCode 2; bind failure → 1. */
export function runGatewayFromFile(file: string, options?: RunOptions): Promise<RunResult> {
  void file; void options;
  throw new Error("contract stub");
}
