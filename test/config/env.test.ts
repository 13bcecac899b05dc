import assert from "node:assert/strict";
import { test } from "node:test";
import { loadIssues, loadOk, MINIMAL, summary } from "../helpers/config-fixtures.ts";

const WITH_TOKEN = `${MINIMAL}admin:
  tokens:
    - name: alice
      token: \${ADMIN_TOKEN}
`;

test("${NAME} is replaced in string values", () => {
  const { config, warnings } = loadOk(WITH_TOKEN, { ADMIN_TOKEN: "0123456789abcdef-secret" });
  assert.equal(config.admin.tokens.get("0123456789abcdef-secret"), "alice");
  assert.deepEqual(warnings, []);
});

test("a missing variable is an issue naming it, at the value's position", () => {
  const issues = loadIssues(WITH_TOKEN, {});
  assert.deepEqual(summary(issues), ["13:14 admin.tokens[0].token: environment variable ADMIN_TOKEN is not set"]);
  assert.equal(issues[0]?.code, "RAMPART_ERR_ENV_MISSING");
});

test("an unquoted ${NAME} alone is re-read as a YAML scalar; quoted or embedded stays text", () => {
  const text = MINIMAL.replace("port: 8080", "port: ${PORT}") + "strict_routes: ${STRICT}\ndefault_upstream: api\nlogging:\n  destination: \"${LOG_DIR}/x.log\"\n";
  const { config } = loadOk(text, { PORT: "8081", STRICT: "false", LOG_DIR: "/var/log" });
  assert.equal(config.listeners[0]?.port, 8081);
  assert.equal(config.strictRoutes, false);
  assert.equal(config.logging.destination, "/var/log/x.log");
  const quoted = loadIssues(MINIMAL.replace("port: 8080", 'port: "${PORT}"'), { PORT: "8081" });
  assert.deepEqual(summary(quoted), ['2:11 listeners[0].port: must be an integer (got "8081")']);
});

test("$${ writes a literal ${ and is not looked up", () => {
  const text = `${MINIMAL}logging:\n  destination: /tmp/$\${HOME}/a.log\n`;
  const { config } = loadOk(text, {});
  assert.equal(config.logging.destination, "/tmp/${HOME}/a.log");
});

test("malformed references are issues, and a variable's content is never parsed as YAML structure", () => {
  const issues = loadIssues(`${MINIMAL}logging:\n  destination: /tmp/\${bad-name}\n  level: \${LEVEL\n`, {});
  assert.deepEqual(summary(issues), [
    '11:16 logging.destination: "${bad-name}" is not a variable reference (letters, digits and _)',
    '12:10 logging.level: unclosed "${" (write "$${" for a literal "${")',
  ]);
  const injected = loadOk(`${MINIMAL}logging:\n  destination: \${DEST}\n`, { DEST: "a: b\nmode: dry-run" });
  assert.equal(injected.config.mode, "enforce");
  assert.match(injected.config.logging.destination, /a: b\nmode: dry-run$/);
});

test("a missing variable in a typed value is reported once, not again as a type error", () => {
  const issues = loadIssues(MINIMAL.replace("port: 8080", "port: ${PORT}"), {});
  assert.deepEqual(summary(issues), ["2:11 listeners[0].port: environment variable PORT is not set"]);
});
