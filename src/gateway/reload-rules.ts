/** What a reload may change, and the header ceiling that listeners are created with. */
import type { Config, ListenerConfig } from "../config/config.ts";
import { RampartError } from "../errors.ts";

/**
 * Listeners are bound sockets: their name, address, port and whether they speak TLS can only
 * change with a restart. Timeouts, caps, HSTS and certificates reload. A reload that would
 * need a listener rebound is refused whole (RAMPART_ERR_RELOAD_LISTENERS), so the running
 * config stays consistent.
 */
export function checkListenersUnchanged(running: Config, next: Config): void {
  const shape = (l: ListenerConfig): string => `${l.name} ${l.address}:${l.port} ${l.tls === undefined ? "http" : "https"}`;
  const before = running.listeners.map(shape).sort().join(", ");
  const after = next.listeners.map(shape).sort().join(", ");
  if (before !== after) {
    throw new RampartError("RAMPART_ERR_RELOAD_LISTENERS", `running: ${before}; new: ${after}`);
  }
}

/** Room for the request line and separators on top of the configured limits. */
const HEADER_MARGIN_BYTES = 1024;

/**
 * Node's own header ceiling (it counts the request line and the header block). It sits above
 * the largest configured limits so that the gate, with its per-route limits and its log line,
 * answers 431 and 414 — Node answers only what is far beyond any of them.
 */
export function maxHeaderSizeOf(config: Config): number {
  let header = config.limits.maxHeaderBytes;
  let url = config.limits.maxUrlBytes;
  for (const route of config.routes) {
    header = Math.max(header, route.limits.maxHeaderBytes);
    url = Math.max(url, route.limits.maxUrlBytes);
  }
  return header + url + HEADER_MARGIN_BYTES;
}
