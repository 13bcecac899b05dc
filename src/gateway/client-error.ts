/**
 * Answers for requests Node's parser rejects before a request exists (malformed request line,
 * conflicting Content-Length / Transfer-Encoding, invalid header characters, header overflow,
 * header timeout). They are written raw on the socket and the connection is closed: such a
 * request never reaches a layer or the upstream.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { problemBody } from "../http/problem.ts";

const answers = new Map<string, string>();

/** The status for a parser or socket error code; undefined when nothing should be written. */
export function clientErrorStatus(code: string | undefined): number | undefined {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return 431;
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return 408;
    case "ECONNRESET":
    case "EPIPE":
    case "ETIMEDOUT":
      return undefined;
    default:
      return 400;
  }
}

/** The whole raw answer, prepared once per status and HSTS value. */
function rawAnswer(status: number, hsts: string | undefined): string {
  const key = hsts === undefined ? String(status) : `${status} ${hsts}`;
  let text = answers.get(key);
  if (text === undefined) {
    const body = problemBody(status);
    text =
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "content-type: application/problem+json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "cache-control: no-store\r\n" +
      (hsts === undefined ? "" : `strict-transport-security: ${hsts}\r\n`) +
      "connection: close\r\n\r\n" +
      body;
    answers.set(key, text);
  }
  return text;
}

/**
 * Handles a server 'clientError': writes the problem answer when the socket can still take
 * one (not when a response was already under way) and closes the connection.
 * Returns the status written, or undefined.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex, hsts: string | undefined): number | undefined {
  const status = clientErrorStatus(error.code);
  // Bytes already written mean a response started: anything more would corrupt it.
  const started = (socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0;
  if (status === undefined || !socket.writable || started > 0) {
    socket.destroy();
    return undefined;
  }
  socket.end(rawAnswer(status, hsts));
  // A client that does not read its answer must not hold the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
  return status;
}
