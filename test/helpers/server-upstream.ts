/** A recording upstream for gateway tests: answers every request with what it received, as JSON. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RecordingUpstream {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/**
 * Starts the upstream on 127.0.0.1:0. `GET /slow?ms=N` answers after N ms. Every answer is
 * `{ method, url, headers, body }` of the request it got.
 */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const record: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(record);
      const delay = req.url?.startsWith("/slow") === true ? Number(new URL(req.url, "http://x").searchParams.get("ms") ?? "0") : 0;
      const timer = setTimeout(() => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(record));
      }, delay);
      res.on("close", () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
