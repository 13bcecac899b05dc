/** Small rampart.yaml texts and a loader shortcut shared by the config tests. */
import assert from "node:assert/strict";
import { parseConfig, type ConfigIssue, type LoadResult } from "../../src/config/load.ts";
import type { Config } from "../../src/config/config.ts";

/** The smallest valid config: one listener, one upstream, one route. */
export const MINIMAL = `listeners:
  - port: 8080
upstreams:
  api:
    targets: [http://127.0.0.1:3000]
routes:
  - path: /users/:id
    methods: [GET]
    upstream: api
`;

/** Parses text as if it were /tmp/rampart-test/rampart.yaml, with an explicit environment. */
export function load(text: string, env: Record<string, string> = {}, file = "/tmp/rampart-test/rampart.yaml"): LoadResult {
  return parseConfig(text, file, { env });
}

/** Loads text that must be valid and returns its config. */
export function loadOk(text: string, env: Record<string, string> = {}): { config: Config; warnings: readonly ConfigIssue[] } {
  const result = load(text, env);
  if (!result.ok) assert.fail(`expected a valid config, got:\n${result.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`).join("\n")}`);
  return { config: result.config, warnings: result.warnings };
}

/** Loads text that must be invalid and returns its issues. */
export function loadIssues(text: string, env: Record<string, string> = {}): readonly ConfigIssue[] {
  const result = load(text, env);
  if (result.ok) assert.fail("expected issues, the config loaded");
  return result.issues;
}

/** `line:column path: message` per issue, for readable assertions. */
export function summary(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
}
