/**
 * Controls shared by every instance through Redis: blocks in a hash, an audit list, and a
 * pub/sub channel that tells every instance about each change at once. Lookups never touch
 * Redis: each instance answers from a local replica (the memory Controls), so a request costs
 * a map read and keeps being answered from the last known set while Redis is down.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import type { Block, BlockKind, BlockQuery, Controls, NewBlock } from "../../engine/index.ts";
import type { ControlsAudit, ControlsAuditEntry } from "../audit.ts";
import { createMemoryControls, normalizeBlockValue, prepareBlock } from "../memory/controls.ts";
import { blockField, decodeAudit, decodeBlock, decodeMessage, encodeAddAudit, encodeBlock, type ControlsMessage } from "./controls-codec.ts";
import { ADD_SCRIPT, LOAD_SCRIPT, REMOVE_SCRIPT } from "./controls-script.ts";
import { createReplica, type Replica } from "./controls-replica.ts";

export interface RedisControlsOptions {
  /** A connected ioredis client (left open by close()), or options for one (default 127.0.0.1:6379). */
  readonly redis?: Redis | RedisOptions;
  /** Prepended to every key and to the channel (`<prefix>controls`); default `rampart:`. */
  readonly prefix?: string;
  /** Clock for `createdAt` and expiry (ms since the epoch); default Date.now. */
  readonly now?: () => number;
  /** Longest wait for a change or an audit read; default 1000 ms. */
  readonly timeoutMs?: number;
  /** How long `ready` waits for the first full load before it rejects; default 5000 ms. */
  readonly readyTimeoutMs?: number;
  /** Most blocks kept, in Redis and in each replica; past it the oldest goes. Default 100,000. */
  readonly maxEntries?: number;
  /** Audit entries kept (newest first); default 10,000. */
  readonly auditMax?: number;
  /** Longest pause between reconnection attempts of the connections made here; default 2000 ms. */
  readonly maxReconnectDelayMs?: number;
  readonly logger?: Pick<Logger, "info" | "warn">;
}

export interface RedisControls extends Controls, ControlsAudit {
  /** Resolves once the full set is loaded; rejects (ControlsUnavailableError) after `readyTimeoutMs`. Loading goes on after that. */
  readonly ready: Promise<void>;
  /** True while subscribed and loaded since the last (re)connection: the local copy is current. */
  isFollowing(): boolean;
  /** Stops listening; closes the connections made here (not a client passed in). */
  close(): Promise<void>;
}

/** Redis did not take or confirm a change in time. Blocks already in force stay enforced from the replica. */
export class ControlsUnavailableError extends Error {
  override readonly name = "ControlsUnavailableError";
  /** False when the change surely did not reach Redis; true when it may have (a timeout after sending). */
  readonly maybeApplied: boolean;
  constructor(message: string, maybeApplied: boolean, options?: ErrorOptions) {
    super(message, options);
    this.maybeApplied = maybeApplied;
  }
}

/** Exponential backoff with jitter, so instances that lost Redis together do not return together. */
function backoff(maxMs: number): (times: number) => number {
  return (times) => Math.min(maxMs, 25 * 2 ** Math.min(times, 10)) * (0.5 + Math.random() / 2);
}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Starts Controls on Redis: connects, subscribes, loads the full set (again after every
 * reconnect, since messages published while disconnected are lost), and keeps the replica in
 * step with every change any instance makes. Changes reject with ControlsUnavailableError at
 * once while disconnected and after `timeoutMs` at most otherwise — never a hang.
 */
export function createRedisControls(options: RedisControlsOptions = {}): RedisControls {
  const clock = options.now ?? Date.now;
  const timeoutMs = positiveInteger("timeoutMs", options.timeoutMs ?? 1000);
  const maxEntries = positiveInteger("maxEntries", options.maxEntries ?? 100_000);
  const auditMax = String(positiveInteger("auditMax", options.auditMax ?? 10_000));
  const readyTimeoutMs = positiveInteger("readyTimeoutMs", options.readyTimeoutMs ?? 5000);
  const prefix = options.prefix ?? "rampart:";
  // One hash tag for every key: the scripts touch them together, so a Cluster keeps them on one slot.
  const keys = ["blocks", "expiry", "age", "audit", "seq"].map((name) => `${prefix}{controls}:${name}`);
  const channel = `${prefix}controls`;
  const logger = options.logger;

  const given = options.redis instanceof Redis ? options.redis : undefined;
  let closed = false;
  let lastError = "";
  const client = given ?? new Redis({
    host: "127.0.0.1",
    port: 6379,
    connectTimeout: Math.max(timeoutMs, 1000),
    retryStrategy: backoff(options.maxReconnectDelayMs ?? 2000),
    ...(options.redis as RedisOptions | undefined),
    // A change queued while disconnected could land after the operator was told it failed.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
  });
  if (given === undefined) client.on("error", (error: unknown) => { lastError = describeError(error); });
  // A subscribed connection can send nothing else; resubscribing is ours, so a load always follows it.
  const subscriber = client.duplicate({ autoResubscribe: false, enableOfflineQueue: true });
  subscriber.on("error", (error: unknown) => { lastError = describeError(error); });
  // Logged once per outage: lookups go on from the local copy, which may miss changes until the reload.
  let live = false;
  subscriber.on("close", () => {
    if (!live || closed) return;
    live = false;
    logger?.warn({ event: "controls.disconnected", err: lastError }, "lost Redis for controls; blocks are answered from this instance's copy until it returns");
  });

  const replica: Replica = createReplica(clock, maxEntries, logger);
  let deliveredSeq = 0;
  let syncEpoch = 0;
  let loadRunning = false;
  let loadQueued = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let wakeRetry: (() => void) | undefined;

  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => { markReady = resolve; failReady = reject; });
  // Awaiting `ready` is optional (the replica fills in when Redis comes); an unawaited rejection must not crash.
  ready.catch(() => {});
  const readyTimer = setTimeout(() => {
    failReady(new ControlsUnavailableError(`controls not loaded from Redis within ${readyTimeoutMs} ms (${client.status}${lastError ? `: ${lastError}` : ""}); blocks apply once it answers`, false));
  }, readyTimeoutMs);
  readyTimer.unref();

  /** Races a call with the timeout; `change` when it writes (then a timeout leaves its outcome unknown). */
  function bounded<T>(what: string, promise: Promise<T>, change = false): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const message = change
        ? `Redis did not confirm the ${what} within ${timeoutMs} ms; it may or may not have been applied — check with \`rampart block list\` and retry`
        : `Redis did not answer the ${what} within ${timeoutMs} ms`;
      timer = setTimeout(() => reject(new ControlsUnavailableError(message, change)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  async function run(what: string, script: string, args: readonly string[]): Promise<unknown> {
    if (closed) throw new ControlsUnavailableError(`the ${what} was not saved: these controls are closed`, false);
    if (client.status !== "ready") {
      throw new ControlsUnavailableError(`the ${what} was not saved: Redis is not connected (${client.status}${lastError ? `: ${lastError}` : ""}); blocks in force stay enforced, retry when Redis is back`, false);
    }
    try {
      return await bounded(what, client.eval(script, keys.length, ...keys, ...args) as Promise<unknown>, true);
    } catch (error) {
      // A script error is a bug to see as it is; anything else means Redis could not be relied on.
      if (error instanceof ControlsUnavailableError || (error instanceof Error && error.name === "ReplyError")) throw error;
      throw new ControlsUnavailableError(`the ${what} failed on Redis (${describeError(error)}); it may or may not have been applied — check with \`rampart block list\` and retry`, true, { cause: error });
    }
  }

  function onMessage(text: string): void {
    const message = decodeMessage(text);
    if (message === undefined) {
      logger?.warn({ event: "controls.bad_message", channel }, "ignored a controls message this version cannot read; reloading the set");
      requestLoad();
      return;
    }
    if (replica.buffering()) return replica.buffer(message, true);
    // An older message can arrive after a load that already contains it (two connections, no shared order).
    if (message.seq <= deliveredSeq) return;
    const gap = message.seq > deliveredSeq + 1;
    deliveredSeq = message.seq;
    replica.apply(message);
    if (gap) {
      logger?.info({ event: "controls.gap", seq: message.seq }, "missed a controls change; reloading the set");
      requestLoad();
    }
  }

  /** Applies this instance's own change at once, without waiting for its message to come back. */
  function applyOwn(message: ControlsMessage): void {
    if (replica.buffering()) replica.buffer(message, false);
    else if (message.seq > deliveredSeq) replica.apply(message);
  }

  async function loadOnce(): Promise<void> {
    for (let attempt = 0; !closed; attempt++) {
      replica.startBuffering();
      try {
        if (client.status !== "ready") throw new Error(`Redis is not connected (${client.status})`);
        const reply = await bounded("load", client.eval(LOAD_SCRIPT, keys.length, ...keys, String(clock())) as Promise<unknown>);
        const [seqText, flat] = reply as [string, string[]];
        const blocks: Block[] = [];
        for (let i = 1; i < flat.length; i += 2) {
          const block = decodeBlock(flat[i] as string);
          if (block === undefined) logger?.warn({ event: "controls.bad_record", field: flat[i - 1] }, "skipped a block record this version cannot read");
          else blocks.push(block);
        }
        deliveredSeq = replica.install(blocks, Number(seqText));
        live = true;
        if (attempt > 0) logger?.info({ event: "controls.loaded", blocks: blocks.length }, "controls loaded from Redis again");
        markReady();
        return;
      } catch (error) {
        replica.stopBuffering();
        if (attempt === 0) logger?.warn({ event: "controls.load_failed", err: describeError(error) }, "could not load controls from Redis; retrying, the last known blocks stay enforced");
        await new Promise<void>((resolve) => {
          wakeRetry = resolve;
          retryTimer = setTimeout(resolve, Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
        });
      }
    }
  }

  function requestLoad(): void {
    if (loadRunning) {
      loadQueued = true;
      return;
    }
    loadRunning = true;
    void (async () => {
      do {
        loadQueued = false;
        await loadOnce();
      } while (loadQueued && !closed);
      loadRunning = false;
    })();
  }

  async function resubscribe(): Promise<void> {
    const epoch = ++syncEpoch;
    try {
      await bounded("subscription", subscriber.subscribe(channel));
    } catch (error) {
      logger?.warn({ event: "controls.subscribe_failed", err: describeError(error) }, "could not subscribe to controls changes; retrying");
      if (!closed && epoch === syncEpoch) setTimeout(() => { if (!closed && epoch === syncEpoch && subscriber.status === "ready") void resubscribe(); }, 200).unref();
      return;
    }
    // Subscribed before loading: every change after the snapshot arrives as a message.
    if (!closed && epoch === syncEpoch) requestLoad();
  }

  subscriber.on("ready", () => void resubscribe());
  subscriber.on("message", (from: string, text: string) => { if (from === channel) onMessage(text); });
  // A client made with lazyConnect (and so its duplicate) waits for a first command; these controls need it now.
  if (client.status === "wait") client.connect().catch(() => {});
  if (subscriber.status === "wait") subscriber.connect().catch(() => {});

  return {
    ready,
    isFollowing: () => live && !closed,

    findBlock: (query: BlockQuery, now: number) => replica.current().findBlock(query, now),
    listBlocks: (now: number) => replica.current().listBlocks(now),

    async addBlock(input: NewBlock): Promise<Block> {
      const now = clock();
      const block = prepareBlock(input, now);
      const value = block.value;
      const seq = await run("block", ADD_SCRIPT, [
        String(now), blockField(block.kind, value), encodeBlock(block), block.expiresAt === undefined ? "" : String(block.expiresAt),
        String(now), encodeAddAudit(block, input.ttlMs), auditMax, String(maxEntries), channel,
      ]);
      applyOwn({ seq: Number(seq), op: "add", block, evicted: [] });
      return block;
    },

    async removeBlock(kind: BlockKind, value: string, author: string): Promise<boolean> {
      const normalized = normalizeBlockValue(kind, value);
      if (normalized === undefined) return false;
      const seq = Number(await run("removal", REMOVE_SCRIPT, [String(clock()), blockField(kind, normalized), author, auditMax, channel, kind, normalized]));
      if (seq === 0) return false;
      applyOwn({ seq, op: "remove", kind, value: normalized });
      return true;
    },

    async readAudit(count = 100): Promise<readonly ControlsAuditEntry[]> {
      positiveInteger("count", count);
      if (client.status !== "ready") throw new ControlsUnavailableError(`cannot read the audit: Redis is not connected (${client.status})`, false);
      const texts = await bounded("audit read", client.lrange(keys[3] as string, 0, count - 1));
      return texts.map(decodeAudit).filter((entry): entry is ControlsAuditEntry => entry !== undefined);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(readyTimer);
      clearTimeout(retryTimer);
      wakeRetry?.();
      failReady(new ControlsUnavailableError("controls closed before they were loaded", false));
      subscriber.disconnect();
      if (given === undefined) client.disconnect();
    },
  };
}
