/** Small HTTP helpers for the demo API: JSON in and out, problem+json errors. */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";

/** The demo accepts small JSON bodies only; anything bigger is refused before it is buffered whole. */
export const MAX_JSON_BYTES = 16 * 1024;

/** Why a JSON body could not be read, with the status that says so. */
export interface BodyError {
  readonly status: 400 | 413 | 415;
  readonly detail: string;
}

export type BodyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: BodyError };

/** Reads and parses a JSON request body, capped at MAX_JSON_BYTES. */
export async function readJson(req: IncomingMessage): Promise<BodyResult> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
    return { ok: false, error: { status: 415, detail: "send the body as application/json" } };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) return { ok: false, error: { status: 413, detail: `the body is over ${MAX_JSON_BYTES} bytes` } };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown };
  } catch {
    return { ok: false, error: { status: 400, detail: "the body is not valid JSON" } };
  }
}

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers?: Readonly<Record<string, string>>): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Sends an RFC 9457 problem answer. */
export function sendProblem(res: ServerResponse, status: number, detail?: string, headers?: Readonly<Record<string, string>>): void {
  const problem = { type: "about:blank", title: STATUS_CODES[status] ?? "Error", status, ...(detail === undefined ? {} : { detail }) };
  const body = JSON.stringify(problem);
  res.writeHead(status, { ...headers, "content-type": "application/problem+json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Sends a status with no body (204). */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** A plain object read from JSON, or undefined when the value is anything else. */
export function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
