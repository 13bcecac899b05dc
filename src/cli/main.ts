#!/usr/bin/env node
/** Entry point of the `rampart` executable. */
// First, before anything can trigger a full garbage collection (see the module).
import "../gateway/keep-tick-shape.ts";
import { processContext } from "./context.ts";
import { runCli } from "./program.ts";

const code = await runCli(process.argv, processContext());
process.exitCode = code;
// Exit on our own once output is flushed, but never hang on a handle someone left open.
setTimeout(() => process.exit(code), 2000).unref();
