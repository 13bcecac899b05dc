/** `rampart block add | list | remove`: operator blocks on a running gateway, through its admin API. */
import { resolve } from "node:path";
import { Argument, type Command } from "commander";
import { BLOCK_KINDS } from "../../engine/index.ts";
import type { CliContext } from "../context.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../exit-codes.ts";
import { configOption } from "../options.ts";

interface ConnectionOptions {
  readonly config: string;
  readonly admin?: string;
  readonly token?: string;
}

/** Longest wait for the admin API: it answers from memory or one Redis round trip. */
const REQUEST_TIMEOUT_MS = 10_000;
const TOKEN_VARIABLE = "RAMPART_ADMIN_TOKEN";
const MAX_REASON_SHOWN = 60;

const BLOCK_EXIT_CODES_HELP = `
The admin address comes from the config file's admin section (-c), or from --admin. The token
comes from --token or, better (a command line is visible to other users), $${TOKEN_VARIABLE};
the gateway records the token's operator name as the author of every change.

Exit codes:
  0  ok
  1  runtime failure (admin API unreachable, token refused, no such block, store unavailable)
  2  bad usage or bad config (unknown kind, bad value or TTL, no token, invalid rampart.yaml)`;

/** A failure that ends the command with its message and exit code. */
class BlockCommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

interface Connection {
  readonly base: string;
  readonly token: string;
}

/** Where the admin API listens: `--admin`, else the config's admin address (a wildcard bind is reached on loopback). */
async function connection(options: ConnectionOptions, ctx: CliContext): Promise<Connection> {
  const token = options.token ?? process.env[TOKEN_VARIABLE] ?? "";
  if (token === "") throw new BlockCommandError(`no admin token: set ${TOKEN_VARIABLE} or pass --token`, EXIT_USAGE);
  if (options.admin !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.admin);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new BlockCommandError(`--admin: "${options.admin}" is not an http(s) URL such as http://127.0.0.1:9090`, EXIT_USAGE);
    }
    return { base: url.href.replace(/\/+$/, ""), token };
  }
  const { formatIssue, loadConfigFile } = await import("../../config/load.ts");
  const result = loadConfigFile(resolve(options.config));
  if (!result.ok) {
    for (const issue of result.issues) ctx.err(formatIssue(issue));
    throw new BlockCommandError(`cannot find the admin API from ${options.config}; fix it or pass --admin URL`, EXIT_USAGE);
  }
  const admin = result.config.admin;
  if (!admin.enabled) throw new BlockCommandError(`the admin API is disabled in ${options.config} (admin.enabled: false); pass --admin URL`, EXIT_USAGE);
  const address = admin.address === "0.0.0.0" ? "127.0.0.1" : admin.address === "::" ? "::1" : admin.address;
  return { base: `http://${address.includes(":") ? `[${address}]` : address}:${admin.port}`, token };
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One admin API call; network failures and a refused token become errors that name the URL. */
async function call(conn: Connection, method: string, path: string, body?: unknown): Promise<Answer> {
  const url = `${conn.base}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${conn.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    const why = (error as Error).name === "TimeoutError" ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : code === "ECONNREFUSED" ? "connection refused (is the gateway running, with its admin API on that address?)"
      : code ?? (error as Error).message;
    throw new BlockCommandError(`cannot reach the admin API at ${url}: ${why}`, EXIT_FAILURE);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  const answer: Answer = { status: response.status, body: typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {} };
  if (answer.status === 401) {
    throw new BlockCommandError(`the admin token was refused by ${conn.base} (401): check --token or ${TOKEN_VARIABLE} against admin.tokens in the gateway's config`, EXIT_FAILURE);
  }
  return answer;
}

/** The detail of a problem answer, or its status line. */
function problem(answer: Answer): string {
  const detail = answer.body["detail"];
  const title = typeof answer.body["title"] === "string" ? answer.body["title"] : "";
  if (typeof detail === "string") return detail;
  const status = `${answer.status} ${title}`.trim();
  // A bare 5xx: the cause is in the gateway's log, most often its shared store being unreachable.
  return answer.status >= 500 ? `${status} (the gateway's log has the cause; is its store, e.g. Redis, reachable?)` : status;
}

/** `1h 5m`, `59s`, `3d 4h`: the two largest units of what is left, in whole seconds. */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return "expired";
  const seconds = Math.ceil(ms / 1000);
  const units: ReadonlyArray<readonly [string, number]> = [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]];
  const i = units.findIndex(([, size]) => seconds >= size);
  const [name, size] = units[i] as readonly [string, number];
  const next = units[i + 1];
  if (next === undefined) return `${seconds}${name}`;
  return `${Math.floor(seconds / size)}${name} ${Math.floor((seconds % size) / next[1])}${next[0]}`;
}

/** A cell safe to print: no control characters (a reason must not move the terminal's cursor), bounded length. */
function cell(value: unknown, max = Infinity): string {
  const text = String(value ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The list as a table; `now` makes the "expires in" column testable. */
export function formatBlockTable(blocks: readonly Record<string, unknown>[], now: number): string {
  if (blocks.length === 0) return "no active blocks";
  const rows = blocks.map((b) => [
    cell(b["kind"]),
    cell(b["value"]),
    cell(b["reason"], MAX_REASON_SHOWN),
    cell(b["author"]),
    typeof b["expires_at"] === "string" ? formatRemaining(Date.parse(b["expires_at"]) - now) : "never",
  ]);
  const header = ["KIND", "VALUE", "REASON", "AUTHOR", "EXPIRES IN"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ")).join("\n");
}

async function add(kind: string, value: string, options: ConnectionOptions & { ttl?: string; reason?: string }, ctx: CliContext): Promise<number> {
  const { parseTtl } = await import("../../monitor/block-input.ts");
  if (options.ttl !== undefined) {
    const ttl = parseTtl(options.ttl);
    if (!ttl.ok) throw new BlockCommandError(`--${ttl.detail}`, EXIT_USAGE);
  }
  const conn = await connection(options, ctx);
  const answer = await call(conn, "POST", "/blocks", {
    kind, value, ...(options.ttl === undefined ? {} : { ttl: options.ttl }), ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  if (answer.status === 400) throw new BlockCommandError(`the gateway refused the block: ${problem(answer)}`, EXIT_USAGE);
  if (answer.status !== 201) throw new BlockCommandError(`the block was not added: ${problem(answer)}`, EXIT_FAILURE);
  const block = (answer.body["block"] ?? {}) as Record<string, unknown>;
  const until = typeof block["expires_at"] === "string" ? `until ${block["expires_at"]}` : "until removed";
  ctx.out(`blocked ${cell(block["kind"])} ${cell(block["value"])} ${until} (author ${cell(block["author"])})`);
  return EXIT_OK;
}

async function list(options: ConnectionOptions, ctx: CliContext): Promise<number> {
  const answer = await call(await connection(options, ctx), "GET", "/blocks");
  const blocks = answer.body["blocks"];
  if (answer.status !== 200 || !Array.isArray(blocks)) throw new BlockCommandError(`cannot list blocks: ${problem(answer)}`, EXIT_FAILURE);
  ctx.out(formatBlockTable(blocks as Record<string, unknown>[], Date.now()));
  return EXIT_OK;
}

async function remove(kind: string, value: string, options: ConnectionOptions, ctx: CliContext): Promise<number> {
  const answer = await call(await connection(options, ctx), "DELETE", `/blocks/${kind}/${encodeURIComponent(value)}`);
  if (answer.status === 400) throw new BlockCommandError(`the gateway refused the value: ${problem(answer)}`, EXIT_USAGE);
  if (answer.status === 404) throw new BlockCommandError(`no block on ${kind} ${value}`, EXIT_FAILURE);
  if (answer.status !== 200) throw new BlockCommandError(`the block was not removed: ${problem(answer)}`, EXIT_FAILURE);
  const removed = (answer.body["removed"] ?? {}) as Record<string, unknown>;
  ctx.out(`removed the block on ${cell(removed["kind"] ?? kind)} ${cell(removed["value"] ?? value)}`);
  return EXIT_OK;
}

/** Runs one subcommand, turning its failures into a message on stderr and an exit code. */
async function runReporting(ctx: CliContext, body: () => Promise<number>): Promise<void> {
  try {
    ctx.exitCode = await body();
  } catch (error) {
    if (!(error instanceof BlockCommandError)) throw error;
    ctx.err(`rampart: ${error.message}`);
    ctx.exitCode = error.exitCode;
  }
}

export function registerBlock(program: Command, ctx: CliContext): void {
  const block = program
    .command("block")
    .description("add, list and remove operator blocks on a running gateway (ip, prefix, asn, country, key)")
    .addHelpText("after", BLOCK_EXIT_CODES_HELP);
  const connectionOptions = (command: Command): Command =>
    command
      .addOption(configOption())
      .option("--admin <url>", "admin API URL (default: from the config file's admin section)")
      .option("--token <token>", `admin token (default: $${TOKEN_VARIABLE})`)
      .addHelpText("after", BLOCK_EXIT_CODES_HELP);

  connectionOptions(block.command("add"))
    .description("block a client on every instance sharing the gateway's store")
    .addArgument(new Argument("<kind>", "what to block").choices(BLOCK_KINDS))
    .argument("<value>", "an address, a CIDR, AS64500, a country code (DE) or an API key id")
    .option("--ttl <duration>", 'how long: "90s", "15m", "1h", "7d" (default: until removed)')
    .option("--reason <text>", "why, for the audit trail and the log")
    .action((kind: string, value: string, options: ConnectionOptions & { ttl?: string; reason?: string }) => runReporting(ctx, () => add(kind, value, options, ctx)));

  connectionOptions(block.command("list"))
    .description("print the active blocks: kind, value, reason, author, time left")
    .action((options: ConnectionOptions) => runReporting(ctx, () => list(options, ctx)));

  connectionOptions(block.command("remove"))
    .description("remove a block (any spelling of the value: ::ffff:192.0.2.1, 64500 for AS64500)")
    .addArgument(new Argument("<kind>", "the block's kind").choices(BLOCK_KINDS))
    .argument("<value>", "the blocked value")
    .action((kind: string, value: string, options: ConnectionOptions) => runReporting(ctx, () => remove(kind, value, options, ctx)));
}
