/** CONTRACT STUB (owner: observability helper) — one JSON line per request, and operational logs. */
import type { Logger } from "pino";
import type { LoggingConfig } from "../config/config.ts";
import type { Action, LayerFailure, Reason } from "../engine/index.ts";

export interface RequestLogEntry {
  readonly id: string;
  readonly clientIp: string;
  readonly method: string;
  readonly path: string;
  /** Route id, or undefined when none matched. */
  readonly route: string | undefined;
  readonly status: number;
  readonly action: Action;
  /** In dry-run: what would have happened. */
  readonly wouldHave: Action | undefined;
  readonly reasons: readonly Reason[];
  readonly risk: number;
  readonly latencyMs: number;
  readonly upstreamMs: number | undefined;
  readonly userAgent: string | undefined;
  readonly keyId: string | undefined;
  readonly subject: string | undefined;
  /** The account the request targets (route's `account` field). */
  readonly account: string | undefined;
  readonly errors: readonly LayerFailure[];
  readonly upstreamError: string | undefined;
  readonly target: string | undefined;
}

export interface RequestLogger {
  /** Operational events (start, reload, errors): pino, same destination. */
  readonly logger: Logger;
  request(entry: RequestLogEntry): void;
  /** Flushes buffered lines (before exit). */
  flush(): void;
}

export function createRequestLogger(config: LoggingConfig): RequestLogger {
  void config;
  throw new Error("contract stub");
}
