/**
 * Where log lines go. Each line is encoded at once into a reusable 64 KiB chunk outside the JS
 * heap, so no line string outlives its request: strings that wait in an array for the next
 * write survive the young-generation collections and get promoted, and on the proxy bench that
 * retention cost more than building the line. Chunks are written with one asynchronous
 * `fs.writev` per batch, up to BATCH_MS after the first line (or at once past BATCH_BYTES):
 * each write is a trip through libuv's thread pool, so a busy gateway must not turn its log into
 * back-to-back small writes. Memory is bounded: while a reader does not keep up, at most
 * MAX_PENDING_BYTES wait; lines past that are dropped and counted (a gateway under a flood must
 * not run out of memory for its log). A broken destination (a closed pipe) stops the writer
 * instead of retrying forever.
 */
import { writev as fsWritev } from "node:fs";

/** Lines waiting for a write beyond this are dropped (and counted) until the writer catches up. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** How long a line may wait for the next write: short enough for `tail -f`, long enough to batch. */
const BATCH_MS = 25;
/** Written at once past this many queued bytes, without waiting for the timer. */
const BATCH_BYTES = 64 * 1024;
/** Size of one chunk; a longer line gets a chunk of its own. */
const CHUNK_BYTES = 64 * 1024;
/** Written chunks kept for reuse: enough for the steady state of one chunk filling while one is written. */
const SPARE_CHUNKS = 4;

export interface LineWriter {
  /** Queues one line (it must end with "\n"); pino calls this for operational logs too. */
  write(line: string): void;
  /** Resolves once everything queued so far is written (or the destination broke). */
  flush(): Promise<void>;
  /** Lines dropped because the destination did not keep up, or broke. */
  readonly dropped: number;
}

export function createLineWriter(fd: number): LineWriter {
  /** Filled chunks waiting for the next write, then the one being filled (`current`, `used` bytes). */
  let full: Buffer[] = [];
  let current: Buffer | undefined;
  let used = 0;
  let pendingBytes = 0;
  const spare: Buffer[] = [];
  let writing = false;
  let scheduled = false;
  let broken = false;
  let dropped = 0;
  let waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;

  function append(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (current === undefined || used + bytes > current.length) {
      if (current !== undefined && used > 0) full.push(current.subarray(0, used));
      current = bytes <= CHUNK_BYTES ? (spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)) : Buffer.allocUnsafeSlow(bytes);
      used = 0;
    }
    used += current.write(line, used);
    pendingBytes += bytes;
  }

  function schedule(now: boolean): void {
    if (writing) return;
    if (now) {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      scheduled = true;
      setImmediate(writeOut);
      return;
    }
    if (scheduled) return;
    scheduled = true;
    timer = setTimeout(writeOut, BATCH_MS);
  }

  function writeOut(): void {
    scheduled = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (writing) return;
    if (current !== undefined && used > 0) full.push(current.subarray(0, used));
    current = undefined;
    used = 0;
    if (full.length === 0 || broken) {
      settleWaiters();
      return;
    }
    const batch = full;
    full = [];
    pendingBytes = 0;
    writing = true;
    writeAll(batch);
  }

  function writeAll(batch: Buffer[]): void {
    fsWritev(fd, batch, (error, written) => {
      if (error) {
        // EPIPE, EBADF, ENOSPC…: nothing later would fare better; stop rather than spin.
        broken = true;
        dropped += countLines(batch) + countLines(full) + (current === undefined ? 0 : countLines([current.subarray(0, used)]));
        full = [];
        current = undefined;
        pendingBytes = 0;
        writing = false;
        settleWaiters();
        return;
      }
      const rest = unwritten(batch, written);
      if (rest.length > 0) return writeAll(rest);
      writing = false;
      for (const chunk of batch) if (chunk.buffer.byteLength === CHUNK_BYTES && spare.length < SPARE_CHUNKS) spare.push(Buffer.from(chunk.buffer, 0, CHUNK_BYTES));
      // What arrived meanwhile waits for its own batch (see the file comment).
      if (pendingBytes > 0) schedule(pendingBytes >= BATCH_BYTES || waiters.length > 0);
      else settleWaiters();
    });
  }

  function settleWaiters(): void {
    if (writing || (pendingBytes > 0 && !broken)) return;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  }

  return {
    write(line) {
      if (broken || pendingBytes > MAX_PENDING_BYTES) {
        dropped++;
        return;
      }
      append(line);
      schedule(pendingBytes >= BATCH_BYTES);
    },
    flush() {
      if (!writing && pendingBytes === 0) return Promise.resolve();
      return new Promise((resolve) => {
        waiters.push(resolve);
        schedule(true);
      });
    },
    get dropped() {
      return dropped;
    },
  };
}

/** The part of `batch` past its first `written` bytes (a short write). */
function unwritten(batch: readonly Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const chunk of batch) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return rest;
}

/** Lines in queued chunks (each line ends with "\n"), for the dropped count when the destination breaks. */
function countLines(chunks: readonly Buffer[]): number {
  let lines = 0;
  for (const chunk of chunks) for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  return lines;
}
