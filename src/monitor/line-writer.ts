/**
 * Where log lines go: gathered for up to BATCH_MS (or BATCH_BYTES) and written with one
 * asynchronous `fs.write` of one buffer. Each write is a trip through libuv's thread pool,
 * which costs far more CPU than building a line; on the proxy bench, writing once per event
 * loop turn still cost ~10 µs per request, batching by time brings it near the cost of the
 * JSON itself. No byte counting or string slicing happens per line (sonic-boom's 5–9 µs). Memory is bounded: while a reader does
 * not keep up, at most MAX_PENDING_BYTES wait; lines past that are dropped and counted (a
 * gateway under a flood must not run out of memory for its log). A broken destination
 * (a closed pipe) stops the writer instead of retrying forever.
 */
import { write as fsWrite } from "node:fs";

/** Lines waiting for a write beyond this are dropped (and counted) until the writer catches up. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** How long a line may wait for the next write: short enough for `tail -f`, long enough to batch. */
const BATCH_MS = 25;
/** Written at once past this many queued bytes, without waiting for the timer. */
const BATCH_BYTES = 64 * 1024;

export interface LineWriter {
  /** Queues one line (it must end with "\n"); pino calls this for operational logs too. */
  write(line: string): void;
  /** Resolves once everything queued so far is written (or the destination broke). */
  flush(): Promise<void>;
  /** Lines dropped because the destination did not keep up, or broke. */
  readonly dropped: number;
}

export function createLineWriter(fd: number): LineWriter {
  let pending: string[] = [];
  let pendingBytes = 0;
  let writing = false;
  let scheduled = false;
  let broken = false;
  let dropped = 0;
  let waiters: Array<() => void> = [];

  let timer: NodeJS.Timeout | undefined;

  function schedule(now = false): void {
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
    if (pending.length === 0 || broken) {
      settleWaiters();
      return;
    }
    const buffer = Buffer.from(pending.join(""));
    pending = [];
    pendingBytes = 0;
    writing = true;
    writeAll(buffer, 0);
  }

  function writeAll(buffer: Buffer, offset: number): void {
    fsWrite(fd, buffer, offset, buffer.length - offset, null, (error, written) => {
      if (error) {
        // EPIPE, EBADF, ENOSPC…: nothing later would fare better; stop rather than spin.
        broken = true;
        dropped += pending.length;
        pending = [];
        pendingBytes = 0;
        writing = false;
        settleWaiters();
        return;
      }
      if (offset + written < buffer.length) return writeAll(buffer, offset + written);
      writing = false;
      if (pending.length > 0) writeOut();
      else settleWaiters();
    });
  }

  function settleWaiters(): void {
    if (writing || (pending.length > 0 && !broken)) return;
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
      pending.push(line);
      pendingBytes += line.length;
      schedule(pendingBytes >= BATCH_BYTES);
    },
    flush() {
      if (!writing && pending.length === 0) return Promise.resolve();
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
