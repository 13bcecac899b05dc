/** Runs the gateway from a config file, as `rampart start` does: load, start, reload on SIGHUP or change, drain on SIGTERM. */
// First: it must run before the config's loading triggers a full garbage collection.
import "./keep-tick-shape.ts";
import type { Config } from "../config/config.ts";
import { formatIssue, loadConfigFile, type ConfigIssue, type LoadResult } from "../config/load.ts";
import { watchConfigFile, type ConfigWatcher } from "../config/watch.ts";
import { startGateway, type Gateway } from "./gateway.ts";
import { listenerTlsFiles } from "./tls.ts";

export interface RunningGateway {
  readonly gateway: Gateway;
  /** Drains and stops (what SIGTERM does); resolves with the process exit code (0 or 1). */
  stop(): Promise<number>;
  /** Resolves with the exit code once the gateway has stopped for any reason. */
  readonly done: Promise<number>;
}

export type RunResult =
  | { readonly ok: true; readonly running: RunningGateway }
  | { readonly ok: false; readonly exitCode: 1 | 2; readonly issues: readonly ConfigIssue[]; readonly message: string };

export interface RunOptions {
  /** Install SIGHUP (reload), SIGTERM and SIGINT (drain, stop) handlers. Default true. */
  readonly signals?: boolean;
  /** Reload when the file changes on disk. Default true. */
  readonly watch?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Loads the file, starts the gateway, wires reload and shutdown. Bad config → exitCode 2; bind failure → 1. */
export async function runGatewayFromFile(file: string, options: RunOptions = {}): Promise<RunResult> {
  const loadOptions = options.env === undefined ? {} : { env: options.env };
  const loaded = loadConfigFile(file, loadOptions);
  if (!loaded.ok) {
    return { ok: false, exitCode: 2, issues: loaded.issues, message: loaded.issues.map(formatIssue).join("\n") };
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway(loaded.config);
  } catch (error) {
    return { ok: false, exitCode: 1, issues: [], message: `cannot start the gateway: ${(error as Error).message}` };
  }
  const logger = gateway.log.logger;
  for (const warning of loaded.warnings) logger.warn({ code: warning.code }, formatIssue(warning));

  let config: Config = loaded.config;
  // One reload at a time, in the order they were asked for.
  let reloading: Promise<void> = Promise.resolve();

  function apply(result: LoadResult): void {
    reloading = reloading.then(async () => {
      if (!result.ok) {
        logger.error({ code: "RAMPART_ERR_CONFIG_INVALID", issues: result.issues.length }, "config reload refused: the running config stays");
        for (const issue of result.issues) logger.error({ code: issue.code ?? "RAMPART_ERR_CONFIG_INVALID" }, formatIssue(issue));
        return;
      }
      try {
        await gateway.reload(result.config);
        config = result.config;
        for (const warning of result.warnings) logger.warn({ code: warning.code }, formatIssue(warning));
        logger.info({ file: result.config.file }, "config reloaded");
      } catch (error) {
        logger.error({ code: (error as { code?: string }).code ?? "RAMPART_ERR_RELOAD", err: error }, `config reload failed: the running config stays (${(error as Error).message})`);
      }
    });
  }

  const watcher: ConfigWatcher | undefined =
    options.watch === false ? undefined : watchConfigFile(file, apply, () => config.listeners.flatMap((listener) => listenerTlsFiles(listener.tls)), loadOptions);
  const reloadNow = (): void => {
    if (watcher !== undefined) watcher.trigger();
    else apply(loadConfigFile(file, loadOptions));
  };

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let stopping: Promise<number> | undefined;
  const onStop = (): void => void stop();
  const signals = options.signals !== false;
  if (signals) {
    process.on("SIGHUP", reloadNow);
    process.on("SIGTERM", onStop);
    process.on("SIGINT", onStop);
  }

  function stop(): Promise<number> {
    stopping ??= (async () => {
      if (signals) {
        process.off("SIGHUP", reloadNow);
        process.off("SIGTERM", onStop);
        process.off("SIGINT", onStop);
      }
      watcher?.close();
      let code = 0;
      try {
        await reloading;
        await gateway.close();
      } catch (error) {
        logger.error({ err: error }, "shutdown failed");
        code = 1;
      }
      resolveDone(code);
      return code;
    })();
    return stopping;
  }

  return { ok: true, running: { gateway, stop, done } };
}
