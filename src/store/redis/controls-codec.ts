/**
 * How blocks, audit entries and change messages of the Redis Controls are spelled in Redis.
 * Everything read back is checked field by field: a record another version (or a person with
 * redis-cli) wrote badly is skipped, never trusted into the hot path.
 */
import { BLOCK_KINDS, type Block, type BlockKind, type BlockSource } from "../../engine/index.ts";
import type { ControlsAuditEntry } from "../audit.ts";

const SOURCES: readonly BlockSource[] = ["operator", "penalty", "playbook"];

/** A change published on the channel; `seq` orders every change made through any instance. */
export type ControlsMessage =
  | { readonly seq: number; readonly op: "add"; readonly block: Block; readonly evicted: readonly BlockRef[] }
  | { readonly seq: number; readonly op: "remove"; readonly kind: BlockKind; readonly value: string };

export interface BlockRef {
  readonly kind: BlockKind;
  readonly value: string;
}

/** The hash field of a block: `kind:value` (the kind has no colon, so the first one splits them). */
export function blockField(kind: BlockKind, value: string): string {
  return `${kind}:${value}`;
}

export function parseBlockField(field: string): BlockRef | undefined {
  const colon = field.indexOf(":");
  const kind = field.slice(0, colon);
  return colon > 0 && isKind(kind) ? { kind, value: field.slice(colon + 1) } : undefined;
}

/** The stored record: the whole block, expiry inside (null = until removed). */
export function encodeBlock(block: Block): string {
  return JSON.stringify({
    kind: block.kind,
    value: block.value,
    reason: block.reason,
    author: block.author,
    source: block.source,
    createdAt: block.createdAt,
    expiresAt: block.expiresAt ?? null,
  });
}

function isKind(value: unknown): value is BlockKind {
  return typeof value === "string" && (BLOCK_KINDS as readonly string[]).includes(value);
}

const isTime = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0;

/** A block from its parsed record, or undefined when any field is missing or of the wrong type. */
export function blockFromJson(data: unknown): Block | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const r = data as Record<string, unknown>;
  if (!isKind(r["kind"]) || typeof r["value"] !== "string" || r["value"] === "") return undefined;
  if (typeof r["reason"] !== "string" || typeof r["author"] !== "string") return undefined;
  if (!SOURCES.includes(r["source"] as BlockSource) || !isTime(r["createdAt"])) return undefined;
  const expiresAt = r["expiresAt"];
  if (expiresAt !== null && !(isTime(expiresAt) && expiresAt > r["createdAt"])) return undefined;
  return Object.freeze({
    kind: r["kind"],
    value: r["value"],
    reason: r["reason"],
    author: r["author"],
    source: r["source"] as BlockSource,
    createdAt: r["createdAt"],
    expiresAt: expiresAt === null ? undefined : expiresAt,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function decodeBlock(text: string): Block | undefined {
  return blockFromJson(parseJson(text));
}

/** A channel message, or undefined when it is not one this version understands. */
export function decodeMessage(text: string): ControlsMessage | undefined {
  const data = parseJson(text);
  if (typeof data !== "object" || data === null) return undefined;
  const m = data as Record<string, unknown>;
  const seq = m["seq"];
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (m["op"] === "add") {
    const block = blockFromJson(m["block"]);
    const evicted = m["evicted"];
    if (block === undefined || !Array.isArray(evicted)) return undefined;
    const refs: BlockRef[] = [];
    for (const field of evicted) {
      const ref = typeof field === "string" ? parseBlockField(field) : undefined;
      if (ref === undefined) return undefined;
      refs.push(ref);
    }
    return { seq, op: "add", block, evicted: refs };
  }
  if (m["op"] === "remove" && isKind(m["kind"]) && typeof m["value"] === "string") return { seq, op: "remove", kind: m["kind"], value: m["value"] };
  return undefined;
}

/** The audit entry of an addition (removals are written by the script, from the stored record). */
export function encodeAddAudit(block: Block, ttlMs: number | undefined): string {
  const entry: ControlsAuditEntry = {
    time: block.createdAt,
    action: "add",
    kind: block.kind,
    value: block.value,
    author: block.author,
    reason: block.reason,
    source: block.source,
    ttlMs: ttlMs ?? null,
  };
  return JSON.stringify(entry);
}

export function decodeAudit(text: string): ControlsAuditEntry | undefined {
  const data = parseJson(text);
  if (typeof data !== "object" || data === null) return undefined;
  const e = data as Record<string, unknown>;
  if (!isTime(e["time"]) || (e["action"] !== "add" && e["action"] !== "remove") || !isKind(e["kind"])) return undefined;
  if (typeof e["value"] !== "string" || typeof e["author"] !== "string" || typeof e["reason"] !== "string") return undefined;
  if (!SOURCES.includes(e["source"] as BlockSource)) return undefined;
  const ttlMs = e["ttlMs"] ?? null;
  if (ttlMs !== null && !isTime(ttlMs)) return undefined;
  return {
    time: e["time"],
    action: e["action"],
    kind: e["kind"],
    value: e["value"],
    author: e["author"],
    reason: e["reason"],
    source: e["source"] as BlockSource,
    ttlMs,
  };
}
