/** What a reload may change, and the header ceiling that listeners are created with. */
import type { Config, ListenerConfig } from "../config/config.ts";

/** A reload that would need a listener rebound: refused, so the running config stays whole. */
export class ListenerChangeError extends Error {
  override readonly name = "ListenerChangeError";
  readonly code = "RAMPART_ERR_RELOAD_LISTENERS";
}

/**
 * Listeners are bound sockets: their name, address, port and whether they speak TLS can only
 * change with a restart. Timeouts, caps, HSTS and certificates reload.
 */
export function checkListenersUnchanged(running: Config, next: Config): void {
  const shape = (l: ListenerConfig): string => `${l.name} ${l.address}:${l.port} ${l.tls === undefined ? "http" : "https"}`;
  const before = running.listeners.map(shape).sort().join(", ");
  const after = next.listeners.map(shape).sort().join(", ");
  if (before !== after) {
    throw new ListenerChangeError(`listeners changed (${before} → ${after}): names, addresses, ports and TLS on/off take effect only after a restart; nothing was reloaded`);
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
