/** `rampart schema`: print rampart.yaml's JSON Schema, for editors and CI validation. */
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { EXIT_CODES_HELP, EXIT_OK } from "../exit-codes.ts";

/** Adds `schema`. */
export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command("schema")
    .description("print the JSON Schema of rampart.yaml (draft 2020-12) on stdout")
    .addHelpText("after", `
Use it in an editor: put "# yaml-language-server: $schema=./rampart.schema.json" at the top of
rampart.yaml after "rampart schema > rampart.schema.json".
${EXIT_CODES_HELP}`)
    .action(async () => {
      const { jsonSchema } = await import("../../config/json-schema.ts");
      ctx.out(JSON.stringify(jsonSchema(), null, 2));
      ctx.exitCode = EXIT_OK;
    });
}
