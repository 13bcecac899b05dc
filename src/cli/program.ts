/** The `rampart` command line: commands, shared options, and how usage errors become exit 2. */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerBlock } from "./commands/block.ts";
import { registerCheck } from "./commands/check.ts";
import { registerDemo } from "./commands/demo.ts";
import { registerSchema } from "./commands/schema.ts";
import { registerStart } from "./commands/start.ts";
import type { CliContext } from "./context.ts";
import { EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.ts";

/** package.json sits two folders up from both src/cli/ and dist/cli/. */
function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** Builds the program; commands set `ctx.exitCode`. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command("rampart")
    .description("Rampart: a self-hosted protection layer against automated API abuse.")
    .version(packageVersion(), "-V, --version")
    // Subcommands made with .command() inherit these two settings.
    .exitOverride()
    .configureOutput({ writeOut: (text) => ctx.out(text), writeErr: (text) => ctx.err(text) })
    .showHelpAfterError("(rampart --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP);
  registerStart(program, ctx);
  registerCheck(program, ctx);
  registerSchema(program, ctx);
  registerDemo(program, ctx);
  registerBlock(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (as process.argv: node, script, args…) and returns the exit code. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = createProgram(ctx);
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every other commander exit (unknown command or option,
      // missing or invalid argument, no command at all) is bad usage: 2, not commander's 1.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    ctx.err(`rampart: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_FAILURE;
  }
}
