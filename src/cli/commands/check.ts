/** `rampart check`: validate a config file and print every problem in it, with line and column. */
import { resolve } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { EXIT_CODES_HELP, EXIT_OK, EXIT_USAGE } from "../exit-codes.ts";
import { configOption } from "../options.ts";

/** Loads the file as `start` would; returns the exit code. */
export async function checkConfig(file: string, ctx: CliContext): Promise<number> {
  // Loaded on use, so `rampart --help` and the other commands start without the config compiler.
  const { formatIssue, loadConfigFile } = await import("../../config/load.ts");
  const result = loadConfigFile(resolve(file));
  if (!result.ok) {
    for (const issue of result.issues) ctx.err(formatIssue(issue));
    ctx.err(`${result.issues.length} error${result.issues.length === 1 ? "" : "s"} in ${file}`);
    return EXIT_USAGE;
  }
  // Warnings do not fail the check: the gateway would start with this file.
  for (const warning of result.warnings) ctx.err(`warning: ${formatIssue(warning)}`);
  const { config } = result;
  ctx.out(`ok: ${config.routes.length} routes, ${config.upstreams.size} upstreams, ${config.listeners.length} listeners`);
  return EXIT_OK;
}

/** Adds `check [-c FILE]`. */
export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command("check")
    .description("validate a config file: print every error with file:line:column and path")
    .addOption(configOption())
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (options: { config: string }) => {
      ctx.exitCode = await checkConfig(options.config, ctx);
    });
}
