/** Raw TCP clients for gateway tests: bytes exactly as written, answers read until the socket closes. */
import { connect, type Socket } from "node:net";

export interface RawAnswer {
  readonly text: string;
  /** Status code of the first response line, 0 when nothing came back. */
  readonly status: number;
  /** Whether the server closed (or reset) the connection before the deadline. */
  readonly closed: boolean;
  readonly elapsedMs: number;
}

/** Connects to `url`'s host and port (optionally from a given local address). */
export function openSocket(url: string, localAddress?: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ...(localAddress === undefined ? {} : { localAddress }) });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Reads everything the server sends until it closes the socket or `timeoutMs` passes. */
export function readUntilClose(socket: Socket, timeoutMs: number): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: match ? Number(match[1]) : 0, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
  });
}

/** Sends `bytes` on a new connection and reads the answer until close. */
export async function sendRaw(url: string, bytes: string, timeoutMs = 3000): Promise<RawAnswer> {
  const socket = await openSocket(url);
  const answer = readUntilClose(socket, timeoutMs);
  socket.write(bytes, "latin1");
  return answer;
}
