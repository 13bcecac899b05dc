/** `rampart demo`: the demo API on 127.0.0.1 with a gateway in front of it, until Ctrl-C. */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Option, type Command } from "commander";
import type { DemoApi } from "../../demo/server.ts";
import type { RunningGateway } from "../../gateway/run.ts";
import type { CliContext } from "../context.ts";
import { demoBanner } from "../demo-banner.ts";
import { EXIT_CODES_HELP, EXIT_FAILURE } from "../exit-codes.ts";
import { parsePort } from "../options.ts";

/** Beside src/ and dist/ alike: the package ships examples/. */
export const DEMO_CONFIG_FILE = fileURLToPath(new URL("../../../examples/demo.yaml", import.meta.url));

export interface DemoOptions {
  readonly port: number;
  readonly apiPort: number;
  /** Undefined: 9090, or a free port when `port` is 0 (tests, several demos at once). */
  readonly adminPort: number | undefined;
}

/** Runs the demo; resolves with the exit code once Ctrl-C (or SIGTERM) has stopped it. */
export async function runDemo(options: DemoOptions, ctx: CliContext): Promise<number> {
  // Loaded on use: `rampart --help` need not load the gateway.
  const { formatIssue } = await import("../../config/load.ts");
  const { startDemoApi } = await import("../../demo/server.ts");
  const { runGatewayFromFile } = await import("../../gateway/run.ts");
  let api: DemoApi;
  try {
    api = await startDemoApi({ port: options.apiPort, host: "127.0.0.1" });
  } catch (error) {
    ctx.err(`rampart: the demo API could not listen on 127.0.0.1:${options.apiPort}: ${(error as Error).message}`);
    return EXIT_FAILURE;
  }

  const fromEnv = process.env["RAMPART_ADMIN_TOKEN"];
  const generatedToken = fromEnv === undefined || fromEnv === "" ? randomBytes(18).toString("base64url") : undefined;
  const env = {
    ...process.env,
    DEMO_API_PORT: String(api.port),
    DEMO_PORT: String(options.port),
    DEMO_ADMIN_PORT: String(options.adminPort ?? (options.port === 0 ? 0 : 9090)),
    RAMPART_ADMIN_TOKEN: generatedToken ?? fromEnv,
  };
  // The demo owns its signals (it must stop the API after the gateway) and its file does not change.
  const result = await runGatewayFromFile(DEMO_CONFIG_FILE, { signals: false, watch: false, env });
  if (!result.ok) {
    for (const issue of result.issues) ctx.err(formatIssue(issue));
    ctx.err(`rampart: ${result.message}${result.exitCode === EXIT_FAILURE ? " (is the port taken? try --port)" : ""}`);
    await api.close();
    return result.exitCode;
  }

  const { gateway } = result.running;
  ctx.out(demoBanner({
    gatewayUrl: gateway.listeners[0]?.url ?? "(no listener)",
    apiUrl: api.url,
    adminUrl: gateway.adminUrl,
    generatedToken,
  }));
  const code = await untilStopped(result.running, ctx);
  await api.close();
  return code;
}

/**
 * Waits for SIGINT or SIGTERM (then drains the gateway) or for the gateway to stop by itself.
 * A second signal during the drain quits at once, with EXIT_FAILURE: the drain was cut short.
 */
async function untilStopped(running: RunningGateway, ctx: CliContext): Promise<number> {
  let onSignal: (() => void) | undefined;
  const signalled = new Promise<"signal">((resolve) => {
    onSignal = () => resolve("signal");
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  const first = await Promise.race([signalled, running.done]);
  if (onSignal !== undefined) {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (first !== "signal") return first;
  ctx.err("rampart: stopping (Ctrl-C again to quit at once)");
  const force = (): never => process.exit(EXIT_FAILURE);
  process.once("SIGINT", force);
  process.once("SIGTERM", force);
  try {
    return await running.stop();
  } finally {
    process.off("SIGINT", force);
    process.off("SIGTERM", force);
  }
}

/** Adds `demo [--port N] [--api-port N] [--admin-port N]`. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description("run a small demo API with Rampart in front of it (no Redis, no database); Ctrl-C stops")
    .addOption(new Option("--port <port>", "gateway port (0 picks a free one)").argParser(parsePort).default(8080))
    .addOption(new Option("--api-port <port>", "demo API port on 127.0.0.1").argParser(parsePort).default(0, "a free one"))
    .addOption(new Option("--admin-port <port>", "admin port on 127.0.0.1 (default 9090, a free one when --port is 0)").argParser(parsePort))
    .addHelpText("after", `
The gateway reads examples/demo.yaml. The admin token is $RAMPART_ADMIN_TOKEN, or a random
one printed at start when it is unset.
${EXIT_CODES_HELP}`)
    .action(async (options: { port: number; apiPort: number; adminPort?: number }) => {
      ctx.exitCode = await runDemo({ port: options.port, apiPort: options.apiPort, adminPort: options.adminPort }, ctx);
    });
}
