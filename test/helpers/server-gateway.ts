/** Starts a real gateway from YAML text in front of a recording upstream, with its log lines captured. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../src/config/config.ts";
import { formatIssue, parseConfig } from "../../src/config/load.ts";
import type { Controls } from "../../src/engine/index.ts";
import { startGateway, type Gateway } from "../../src/gateway/gateway.ts";
import { createRequestLoggerFromStream } from "../../src/monitor/request-log.ts";
import { startRecordingUpstream, type RecordingUpstream } from "./server-upstream.ts";

export type LogLine = Record<string, unknown>;

export interface TestGateway {
  readonly gateway: Gateway;
  readonly upstream: RecordingUpstream;
  /** URL of the first listener. */
  readonly url: string;
  /** Every log line so far (request lines have `msg: "request"`). */
  readonly lines: LogLine[];
  requestLines(): LogLine[];
  close(): Promise<void>;
}

/** Compiles YAML text into a Config; `file` anchors relative paths. Throws with every issue. */
export function configFrom(yaml: string, file = join(tmpdir(), "rampart-test.yaml")): Config {
  const loaded = parseConfig(yaml, file, { env: {} });
  if (!loaded.ok) throw new Error(`test config invalid:\n${loaded.issues.map(formatIssue).join("\n")}`);
  return loaded.config;
}

/** A folder for config, certificate and log files of one test. */
export function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), "rampart-gw-"));
}

export function writeText(file: string, text: string): void {
  writeFileSync(file, text);
}

export interface StartOptions {
  readonly controls?: Controls;
}

/** `yaml` receives the upstream's URL and returns the config text. */
export async function startTestGateway(yaml: (upstreamUrl: string) => string, options: StartOptions = {}): Promise<TestGateway> {
  const upstream = await startRecordingUpstream();
  const lines: LogLine[] = [];
  const log = createRequestLoggerFromStream({ write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }, "debug");
  let gateway: Gateway;
  try {
    gateway = await startGateway(configFrom(yaml(upstream.url)), { log, ...(options.controls === undefined ? {} : { controls: options.controls }) });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  return {
    gateway,
    upstream,
    url: (gateway.listeners[0] as { url: string }).url,
    lines,
    requestLines: () => lines.filter((line) => line["msg"] === "request"),
    async close() {
      await gateway.close();
      await upstream.close();
    },
  };
}

/** The simplest config: one listener on 127.0.0.1:0, one upstream, the given routes (YAML list items). */
export function basicYaml(upstreamUrl: string, routes: string, extra = ""): string {
  return `
listeners:
  - name: main
    address: 127.0.0.1
    port: 0
upstreams:
  api:
    targets: ["${upstreamUrl}"]
routes:
${routes}
admin:
  enabled: false
${extra}`;
}

/** `yaml` (from basicYaml) with its admin listener on 127.0.0.1, any port, one operator token. */
export function withAdminListener(yaml: string, token: string): string {
  return yaml.replace("admin:\n  enabled: false", `admin:\n  address: 127.0.0.1\n  port: 0\n  tokens: [{ name: tester, token: ${token} }]`);
}

/** Waits until `check` holds, polling every 20 ms; fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 2000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
