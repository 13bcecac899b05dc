/** Runs the real `rampart` entry point in a child process, bounded in time. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns `node src/cli/main.ts ...args`; kills it and rejects after `timeoutMs`. */
export function runRampart(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`rampart ${args.join(" ")} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * A dummy value for every `${NAME}` a text uses: a distinct port for `*_PORT` (two listeners
 * may not share one), a token long enough for the admin otherwise.
 */
export function dummyEnvFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let nextPort = 3000;
  for (const match of text.matchAll(VARIABLE)) {
    const name = match[1] as string;
    env[name] ??= name.endsWith("_PORT") ? String(nextPort++) : "dummy-value-0123456789abcdef";
  }
  return env;
}

/** Replaces every `${NAME}` with its dummy value from dummyEnvFor. */
export function substituteDummyEnv(text: string): string {
  const env = dummyEnvFor(text);
  return text.replace(VARIABLE, (_, name: string) => env[name] as string);
}
