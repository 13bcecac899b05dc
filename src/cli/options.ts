/** Options shared by several commands, declared once so every command takes them the same way. */
import { InvalidArgumentError, Option } from "commander";

export const DEFAULT_CONFIG_FILE = "./rampart.yaml";

/** `-c, --config FILE`, the same on every command that reads a config. */
export function configOption(): Option {
  return new Option("-c, --config <file>", "config file").default(DEFAULT_CONFIG_FILE);
}

/** Parses a TCP port (0 = any free port); a bad value is a usage error (exit 2). */
export function parsePort(value: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError("a port is an integer from 0 to 65535 (0 picks a free one).");
  }
  return Number(value);
}
