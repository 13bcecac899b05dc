/**
 * LimitStore on Redis or Redis Cluster (ioredis): at most one EVALSHA per admission whatever the
 * number of limits (admissions of one group share one: those of the same event-loop turn, and
 * while a call of the group is in flight, those that arrive until it answers; see
 * AdmissionBatch), a hard timeout on every admission, reconnection with backoff, and every
 * failure returned as a StoreUnavailable value so the route's `on_store_error` decides — never
 * a hang.
 *
 * Why one call in flight per group: each call costs a socket write that wakes Redis, which
 * on a busy gateway cost more CPU than the admissions it carried (a profile of a 10-in-flight
 * client put 42 % of its samples in that write). Admissions that arrive while a call is out
 * would wait for Redis behind it anyway; sent together when it answers, they cost one write.
 * At low load nothing is in flight and nothing waits.
 *
 * Clock: the caller's. `now` travels in ARGV rather than the script calling Redis TIME because
 * (1) the clock is injectable, so tests run the same scenario on memory and Redis; (2) calendar
 * periods in a time zone are computed in Node (Lua has no zone database) and must use the same
 * instant as the admission; (3) on Redis Cluster each shard has its own clock anyway. Instances
 * are expected to run NTP-synced clocks; every algorithm refuses to move a key back in time, so
 * a lagging instance cannot reopen a window another instance has already moved past.
 *
 * What is atomic: one admission (every item of it, all consume or none) and one `settle`
 * call, each within a single script run on one server — on Redis Cluster on the one shard holding the
 * group's hash tag, which is why every key of a call lives under `{group}`. Two calls are not
 * atomic together (an admission and its later settlement), and limits of different groups are
 * never admitted in one step. A call that times out on the client may still run on the server:
 * the caller then counts it as unavailable while Redis may have counted it — an over-count of
 * one, never an under-count.
 */

import { createHash, randomBytes } from "node:crypto";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import {
  isStoreUnavailable, settleAmount, storeUnavailable, type AdmitResult, type LimitItem, type LimitStore, type SettleOp, type SettleResult,
  type StoreUnavailable,
} from "../limits.ts";
import { AdmissionBatch } from "./admission-batch.ts";
import { groupPrefix, pushSettleOp } from "./limit-args.ts";
import { LIMIT_SCRIPT } from "./limit-script.ts";

export interface RedisNode { readonly host: string; readonly port: number }

export interface RedisLimitStoreOptions {
  /** One Redis server (default 127.0.0.1:6379) … */
  readonly host?: string;
  readonly port?: number;
  /** … or the seed nodes of a Redis Cluster. */
  readonly cluster?: readonly RedisNode[];
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  /** Prepended to every key; default `rampart:limit:`. */
  readonly keyPrefix?: string;
  /** Longest wait for any call, connection included; default 100 ms. */
  readonly timeoutMs?: number;
  /** Longest wait for a TCP connection; default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts; default 2000 ms. */
  readonly maxReconnectDelayMs?: number;
}

export interface RedisLimitStore extends LimitStore {
  admit(group: string, items: readonly LimitItem[], now: number): Promise<AdmitResult>;
  settle(group: string, ops: readonly SettleOp[], now: number): Promise<SettleResult>;
  reset(group: string, key: string): Promise<SettleResult>;
  /** Waits (at most `timeoutMs`) until connected and the script is loaded on every primary. */
  ready(timeoutMs?: number): Promise<undefined | StoreUnavailable>;
}

const SHA = createHash("sha1").update(LIMIT_SCRIPT).digest("hex");
const MAX_CACHED_GROUPS = 1024;
/** Admissions per script call at most: ~3 µs of Redis time per item, so a call stays well under 1 ms. */
const MAX_BATCH = 64;

/** Exponential backoff with jitter, so instances that lost Redis together do not return together. */
function backoff(maxMs: number): (times: number) => number {
  return (times) => Math.min(maxMs, 25 * 2 ** Math.min(times, 10)) * (0.5 + Math.random() / 2);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class RedisStore implements RedisLimitStore {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #leasePrefix = `r${randomBytes(6).toString("hex")}.`;
  #leaseSeq = 0;
  #lastError = "";
  #closed = false;
  /** Admissions not sent yet, by group: this turn's, or waiting for the group's call in flight. */
  readonly #batches = new Map<string, AdmissionBatch>();
  /** Admission calls in flight per group (more than one only when a full batch could not wait). */
  readonly #inFlight = new Map<string, number>();
  /** Whether #sendBatches runs at the end of this turn. */
  #sendScheduled = false;
  /** `<prefix>{<group>}:` by group: groups are a route's limit group, a small set. */
  readonly #groupPrefixes = new Map<string, string>();
  /** Whether the socket is corked until the end of this event-loop turn. */
  #corked = false;

  constructor(options: RedisLimitStoreOptions) {
    this.#prefix = options.keyPrefix ?? "rampart:limit:";
    if (/[{}]/.test(this.#prefix)) throw new RangeError("keyPrefix must not contain { or }: they would move the hash tag");
    this.#timeoutMs = options.timeoutMs ?? 100;
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    const common: RedisOptions = {
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: this.#timeoutMs,
      // Fail at once while disconnected instead of queueing: a queued admission is a hung request.
      maxRetriesPerRequest: 0,
      // An admission resent after a reconnect could be counted twice; the caller decides instead.
      autoResendUnfulfilledCommands: false,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
    };
    this.#client = options.cluster !== undefined
      ? new Cluster(options.cluster.map((n) => ({ host: n.host, port: n.port })), {
        redisOptions: common, enableOfflineQueue: false, clusterRetryStrategy: backoff(maxDelay),
        slotsRefreshTimeout: Math.max(1000, this.#timeoutMs),
      })
      : new Redis({
        ...common, host: options.host ?? "127.0.0.1", port: options.port ?? 6379, db: options.db ?? 0,
        enableOfflineQueue: false, retryStrategy: backoff(maxDelay),
      });
    // Without a listener ioredis prints errors itself; the store reports them as values instead.
    this.#client.on("error", (error: unknown) => { this.#lastError = describe(error); });
  }

  async ready(timeoutMs = 5000): Promise<undefined | StoreUnavailable> {
    const deadline = Date.now() + timeoutMs;
    while (this.#client.status !== "ready") {
      if (this.#closed || Date.now() >= deadline) {
        return storeUnavailable(`redis not ready after ${timeoutMs} ms (${this.#client.status}${this.#lastError ? `: ${this.#lastError}` : ""})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.#bounded("script load", this.#loadScript().then(() => undefined), Math.max(1, deadline - Date.now()));
  }

  admit(group: string, items: readonly LimitItem[], now: number): Promise<AdmitResult> {
    if (items.length === 0) return Promise.resolve({ allowed: true, deniedIndex: -1, retryAfterMs: 0, items: [] });
    const down = this.#unavailable("admit");
    if (down !== undefined) return Promise.resolve(down);
    let batch = this.#batches.get(group);
    if (batch === undefined) {
      batch = new AdmissionBatch(this.#keyPrefix(group));
      this.#batches.set(group, batch);
      if (!this.#sendScheduled && !this.#inFlight.has(group)) {
        this.#sendScheduled = true;
        setImmediate(this.#sendBatches);
      }
    }
    const answer = batch.add(items, now, this.#leasesOf(items));
    if (batch.size >= MAX_BATCH) {
      // One script run blocks Redis while it lasts: a full batch leaves now, the next starts anew.
      this.#batches.delete(group);
      this.#send(group, batch);
    }
    return answer;
  }

  async settle(group: string, ops: readonly SettleOp[], now: number): Promise<SettleResult> {
    if (ops.length === 0) return undefined;
    const keys: string[] = [];
    const argv = ["settle", String(now), String(ops.length)];
    const keyPrefix = this.#keyPrefix(group);
    for (const op of ops) {
      keys.push(keyPrefix + op.key);
      switch (op.op) {
        case "reset": pushSettleOp(argv, undefined, now, 0, "reset", ""); break;
        case "release": pushSettleOp(argv, op.spec, now, 0, "release", op.lease); break;
        case "lower": pushSettleOp(argv, op.spec, now, settleAmount(op.amount), "lower", ""); break;
        case "add": pushSettleOp(argv, op.spec, now, settleAmount(op.cost), "add", ""); break;
      }
    }
    const reply = await this.#run("settle", keys, argv);
    return Array.isArray(reply) || typeof reply === "number" ? undefined : reply;
  }

  async reset(group: string, key: string): Promise<SettleResult> {
    return this.settle(group, [{ op: "reset", key }], 0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const quit = this.#client.quit().then(() => undefined, () => undefined);
    const late = new Promise<void>((resolve) => setTimeout(resolve, this.#timeoutMs * 5).unref());
    await Promise.race([quit, late]);
    this.#client.disconnect();
  }

  /** Sends this turn's batches of groups with no call in flight, in one write on a single server. */
  readonly #sendBatches = (): void => {
    this.#sendScheduled = false;
    const stream = this.#client instanceof Redis ? this.#client.stream : undefined;
    stream?.cork();
    for (const [group, batch] of this.#batches) {
      if (this.#inFlight.has(group)) continue;
      this.#batches.delete(group);
      this.#send(group, batch);
    }
    stream?.uncork();
  };

  /**
   * One admission call, bounded by what is left of the timeout since the batch's first
   * admission was made (a batch that waited for the call before it has less). When it answers,
   * the group's waiting batch leaves — or, if this call failed, is answered with the same
   * failure at once: Redis has just shown it cannot answer in time.
   */
  #send(group: string, batch: AdmissionBatch): void {
    const left = Math.ceil(this.#timeoutMs - (performance.now() - batch.openedAt));
    if (left <= 0) {
      batch.fail(storeUnavailable(`redis admit timed out after ${this.#timeoutMs} ms`));
      return;
    }
    this.#inFlight.set(group, (this.#inFlight.get(group) ?? 0) + 1);
    this.#bounded("admit", this.#evalsha(batch.keys, batch.argv()), left, this.#timeoutMs).then((reply) => {
      const calls = this.#inFlight.get(group)! - 1;
      if (calls > 0) this.#inFlight.set(group, calls);
      else this.#inFlight.delete(group);
      if (isStoreUnavailable(reply)) batch.fail(reply);
      else batch.answer(reply);
      const waiting = calls > 0 ? undefined : this.#batches.get(group);
      if (waiting === undefined) return;
      this.#batches.delete(group);
      if (isStoreUnavailable(reply)) waiting.fail(reply);
      else this.#send(group, waiting);
    });
  }

  /** A lease per concurrency item that consumes now (undefined when there is none). */
  #leasesOf(items: readonly LimitItem[]): (string | undefined)[] | undefined {
    let leases: (string | undefined)[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.spec.kind !== "concurrency" || item.charge === "later") continue;
      leases ??= new Array<string | undefined>(items.length);
      leases[i] = this.#leasePrefix + (++this.#leaseSeq).toString(36);
    }
    return leases;
  }

  /** The prefix of every key of `group`, escaped once. */
  #keyPrefix(group: string): string {
    let prefix = this.#groupPrefixes.get(group);
    if (prefix === undefined) {
      // A caller inventing groups per request must not grow this without bound.
      if (this.#groupPrefixes.size >= MAX_CACHED_GROUPS) this.#groupPrefixes.clear();
      prefix = groupPrefix(this.#prefix, group);
      this.#groupPrefixes.set(group, prefix);
    }
    return prefix;
  }

  /**
   * Holds this turn's writes back until the event loop has run every callback of this turn:
   * the admissions of all requests read together then leave in one write (one syscall here
   * and one read in Redis) instead of one each. No wait is added: setImmediate runs before
   * the loop next blocks. A single server only (a cluster writes to one socket per shard).
   */
  #corkTurn(): void {
    if (this.#corked || !(this.#client instanceof Redis)) return;
    const stream = this.#client.stream;
    stream.cork();
    this.#corked = true;
    setImmediate(() => {
      this.#corked = false;
      stream.uncork();
    });
  }

  /** Why a call cannot be sent now, or undefined when connected. */
  #unavailable(what: string): StoreUnavailable | undefined {
    if (this.#client.status === "ready") return undefined;
    return storeUnavailable(`redis ${what}: not connected (${this.#client.status}${this.#lastError ? `: ${this.#lastError}` : ""})`);
  }

  /** One script call, bounded; any failure becomes a StoreUnavailable. */
  async #run(what: string, keys: string[], argv: string[]): Promise<unknown[] | number | StoreUnavailable> {
    const down = this.#unavailable(what);
    if (down !== undefined) return down;
    this.#corkTurn();
    return this.#bounded(what, this.#evalsha(keys, argv), this.#timeoutMs);
  }

  async #evalsha(keys: string[], argv: readonly (string | Buffer)[]): Promise<unknown[] | number> {
    try {
      return await this.#client.evalsha(SHA, keys.length, ...keys, ...argv) as unknown[] | number;
    } catch (error) {
      // Redis restarted or failed over: its script cache is empty. Load and run again (NOSCRIPT
      // means the script did not run, so retrying cannot count twice).
      if (!describe(error).startsWith("NOSCRIPT")) throw error;
      await this.#loadScript();
      return await this.#client.evalsha(SHA, keys.length, ...keys, ...argv) as unknown[] | number;
    }
  }

  /** SCRIPT LOAD on the server, or on every primary of a cluster. */
  async #loadScript(): Promise<void> {
    const targets = this.#client instanceof Cluster ? this.#client.nodes("master") : [this.#client];
    await Promise.all(targets.map((node) => node.script("LOAD", LIMIT_SCRIPT)));
  }

  /**
   * Resolves with `work`'s value, or with a StoreUnavailable once `ms` have passed or it failed.
   * `budgetMs`: the whole wait the message reports, when part of it was spent before `work` began.
   */
  #bounded<T>(what: string, work: Promise<T>, ms: number, budgetMs = ms): Promise<T | StoreUnavailable> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(storeUnavailable(`redis ${what} timed out after ${budgetMs} ms`)), ms);
      work.then(
        (value) => { clearTimeout(timer); resolve(value); },
        (error: unknown) => { clearTimeout(timer); resolve(storeUnavailable(`redis ${what} failed: ${describe(error)}`, error)); },
      );
    });
  }
}

/** A Redis (or Redis Cluster) LimitStore. Connects in the background; see `ready()`. */
export function createRedisLimitStore(options: RedisLimitStoreOptions = {}): RedisLimitStore {
  return new RedisStore(options);
}

/** The SHA1 of the limit script, as EVALSHA names it (for tests and `INFO commandstats`). */
export const LIMIT_SCRIPT_SHA = SHA;
