/** One JSON line per request, and the operational log (start, reload, errors), through pino. */
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type DestinationStream, type Logger } from "pino";
import { createLineWriter } from "./line-writer.ts";
import type { LoggingConfig } from "../config/config.ts";
import { RampartError } from "../errors.ts";
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
  /** Writes buffered lines (before exit); settles within a second even if the reader is gone. */
  flush(): Promise<void>;
}

/**
 * A user agent is whatever the client sends (up to the header limit); the log keeps enough
 * to recognise a client without letting one request write kilobytes of it per line.
 */
const MAX_USER_AGENT_CHARS = 512;

/**
 * Builds the logger `logging` asks for. Lines are written asynchronously, batched per turn of
 * the event loop (line-writer.ts). A file is opened here, synchronously, so a bad path fails
 * at start with a RampartError, not at the first request.
 */
export function createRequestLogger(config: LoggingConfig): RequestLogger {
  return createRequestLoggerFromStream(createLineWriter(openDestination(config.destination)), config.level);
}

/** The longest `flush()` waits: a log reader that stopped reading must not hold a shutdown. */
const FLUSH_TIMEOUT_MS = 1_000;

function openDestination(destination: string): number {
  if (destination === "stdout") return 1;
  if (destination === "stderr") return 2;
  try {
    mkdirSync(dirname(destination), { recursive: true });
    return openSync(destination, "a");
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new RampartError("RAMPART_ERR_FILE_UNREADABLE", `logging.destination "${destination}" cannot be opened for writing (${why})`, { cause: error });
  }
}

/** Where lines go: anything with `write(line)`; `flush()` when it buffers. */
export interface LineSink {
  write(line: string): void;
  flush?(): Promise<void>;
}

/** Same, onto any sink (tests, embedding in a service that has its own log pipeline). */
export function createRequestLoggerFromStream(stream: LineSink, level: LoggingConfig["level"] = "info"): RequestLogger {
  const logger = pino(
    {
      level,
      // No pid/hostname on every line: the platform that collects the logs knows where they came from.
      base: null,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream as DestinationStream,
  );
  return {
    logger,
    request(entry) {
      if (!logger.isLevelEnabled("info")) return;
      // Written directly rather than through pino: the shape is fixed, and one JSON.stringify
      // of a flat object costs a third of what pino's generic serialization does per request.
      stream.write(`${JSON.stringify(toLine(entry))}\n`);
    },
    flush() {
      const pending = stream.flush?.();
      if (pending === undefined) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
        timer.unref();
        void pending.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/** The line's fields, snake_case, without the ones that have no value for this request. */
function toLine(entry: RequestLogEntry): Record<string, unknown> {
  const line: Record<string, unknown> = {
    level: "info",
    time: Date.now(),
    msg: "request",
    req_id: entry.id,
    client_ip: entry.clientIp,
    method: entry.method,
    path: entry.path,
    route: entry.route,
    status: entry.status,
    action: entry.action,
    reasons: entry.reasons.length === 0 ? NO_REASON_CODES : entry.reasons.map(reasonCode),
    risk: entry.risk,
    latency_ms: round3(entry.latencyMs),
  };
  if (entry.wouldHave !== undefined) line["would_have"] = entry.wouldHave;
  if (entry.reasons.some((reason) => reason.detail !== undefined)) line["reason_details"] = entry.reasons.map(reasonDetail);
  if (entry.upstreamMs !== undefined) line["upstream_ms"] = round3(entry.upstreamMs);
  if (entry.userAgent !== undefined) line["user_agent"] = entry.userAgent.length > MAX_USER_AGENT_CHARS ? entry.userAgent.slice(0, MAX_USER_AGENT_CHARS) : entry.userAgent;
  if (entry.keyId !== undefined) line["key_id"] = entry.keyId;
  if (entry.subject !== undefined) line["subject"] = entry.subject;
  if (entry.account !== undefined) line["account"] = entry.account;
  if (entry.errors.length > 0) line["errors"] = entry.errors;
  if (entry.upstreamError !== undefined) line["upstream_error"] = entry.upstreamError;
  if (entry.target !== undefined) line["target"] = entry.target;
  return line;
}

/** Most requests have no reason: one shared empty list instead of a new array per line. */
const NO_REASON_CODES: readonly string[] = Object.freeze([]);

/** `gate.ip_denied`: one string per reason, so a log search is a plain term match. */
function reasonCode(reason: Reason): string {
  return `${reason.layer}.${reason.code}`;
}

/** `gate.ip_denied: 203.0.113.7 in deny list`, parallel to `reasons` (only when some reason has a detail). */
function reasonDetail(reason: Reason): string {
  return reason.detail === undefined ? reasonCode(reason) : `${reasonCode(reason)}: ${reason.detail}`;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
