/** `rampart start`: run the gateway from a config file until a signal stops it. */
import { resolve } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { EXIT_CODES_HELP } from "../exit-codes.ts";
import { configOption } from "../options.ts";

/** Starts the gateway; resolves with the exit code once it has stopped. */
export async function startGateway(file: string, ctx: CliContext): Promise<number> {
  const { formatIssue } = await import("../../config/load.ts");
  const { runGatewayFromFile } = await import("../../gateway/run.ts");
  const result = await runGatewayFromFile(resolve(file));
  if (!result.ok) {
    for (const issue of result.issues) ctx.err(formatIssue(issue));
    ctx.err(`rampart: ${result.message}`);
    return result.exitCode;
  }
  const { gateway } = result.running;
  // stderr, not stdout: stdout carries the JSON request log by default, and log shippers
  // reading it should see JSON lines only.
  for (const listener of gateway.listeners) ctx.err(`rampart: listening on ${listener.url} (${listener.name})`);
  if (gateway.adminUrl !== undefined) ctx.err(`rampart: admin on ${gateway.adminUrl}`);
  return result.running.done;
}

/** Adds `start [-c FILE]`. */
export function registerStart(program: Command, ctx: CliContext): void {
  program
    .command("start")
    .description("run the gateway (SIGHUP or a file change reloads the config; SIGTERM or SIGINT drains and stops)")
    .addOption(configOption())
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (options: { config: string }) => {
      ctx.exitCode = await startGateway(options.config, ctx);
    });
}
