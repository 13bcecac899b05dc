/**
 * The bounded body view: for routes that ask for it, the first bytes of the body are read
 * before the decision so layers can look at them; the bytes read are then sent upstream ahead
 * of the rest of the stream. Nothing beyond the view is buffered.
 */
import type { IncomingMessage } from "node:http";
import type { BodyView } from "../engine/index.ts";

/** What was read: the view for the layers and every byte taken from the stream. */
export interface ReadBody {
  readonly view: BodyView;
  /** All bytes taken off the request stream (at least the view); forwarded first. */
  readonly prefix: Uint8Array;
}

/** Whether the request announces a body at all (a declared length > 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaTypeOf(header: string | undefined): string {
  if (header === undefined) return "";
  const semicolon = header.indexOf(";");
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Reads up to `limit` bytes of the body. Resolves when the view is full, the body ended, or
 * the client went away (with what was read). The stream is left paused for the forwarder.
 */
export function readBodyView(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;

    function settle(ended: boolean): void {
      if (settled) return;
      settled = true;
      req.off("readable", onReadable);
      req.off("end", onEnd);
      req.off("close", onClose);
      req.off("error", onClose);
      const prefix = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
      const bytes = total > limit ? prefix.subarray(0, limit) : prefix;
      // A body of exactly the view's size is complete when its declared length says so.
      const complete = ended || Number(req.headers["content-length"]) === total;
      resolve({
        view: { contentType: mediaTypeOf(req.headers["content-type"]), bytes, truncated: total > limit || !complete },
        prefix,
      });
    }
    function onReadable(): void {
      let chunk: Buffer | null;
      while (total < limit && (chunk = req.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        total += chunk.length;
      }
      if (total >= limit) settle(req.readableEnded);
    }
    const onEnd = (): void => settle(true);
    const onClose = (): void => settle(req.readableEnded);

    req.on("readable", onReadable);
    req.on("end", onEnd);
    req.on("close", onClose);
    req.on("error", onClose);
  });
}
