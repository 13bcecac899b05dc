/** `rampart check`: every error of a broken file with file:line:column and path, exit 2; ok files exit 0. */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ROOT, dummyEnvFor, runRampart } from "../helpers/cli-spawn.ts";

const dir = mkdtempSync(join(tmpdir(), "rampart-check-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const BROKEN = `listeners:
  - port: 99999
upstreams:
  api:
    targets: ["ftp://10.0.0.1"]
routes:
  - path: /users/:id
    methods: [GET, FETCH]
    upstream: api
    colour: red
`;

describe("rampart check", () => {
  it("prints every error of a broken file as file:line:column path: message on stderr, and exits 2", async () => {
    const file = writeConfig("broken.yaml", BROKEN);
    const run = await runRampart(["check", "-c", file]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    const lines = run.stderr.split("\n").filter((line) => line.startsWith(`${file}:`));
    const at = (path: string) => lines.find((line) => line.includes(` ${path}`) && /:\d+:\d+ /.test(line));
    // One line per error, all of them at once, each at its place in the text.
    const port = at("listeners[0].port");
    const target = at("upstreams.api.targets[0]");
    const method = at("routes[0].methods[1]");
    const unknown = lines.find((line) => line.includes("routes[0]") && line.includes("colour"));
    assert.ok(port, run.stderr);
    assert.ok(target, run.stderr);
    assert.ok(method, run.stderr);
    assert.ok(unknown, run.stderr);
    assert.match(port, new RegExp(`^${escape(file)}:2:\\d+ listeners\\[0\\]\\.port: `));
    assert.match(target, new RegExp(`^${escape(file)}:5:\\d+ upstreams\\.api\\.targets\\[0\\]: `));
    assert.match(method, new RegExp(`^${escape(file)}:8:\\d+ routes\\[0\\]\\.methods\\[1\\]: .*FETCH`));
    assert.match(unknown, new RegExp(`^${escape(file)}:(7|10):\\d+ `));
  });

  it("a missing file exits 2 and names it", async () => {
    const file = join(dir, "nowhere.yaml");
    const run = await runRampart(["check", "-c", file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(escape(file)));
  });

  it("a missing ${VARIABLE} exits 2 and names the variable", async () => {
    const file = writeConfig("env.yaml", readFileSync(join(ROOT, "examples/api.yaml"), "utf8"));
    const env = { ...process.env };
    delete env["RAMPART_ADMIN_TOKEN"];
    const run = await runRampart(["check", "-c", file], { env });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /RAMPART_ADMIN_TOKEN/);
  });

  it("-c defaults to ./rampart.yaml in the working directory", async () => {
    const run = await runRampart(["check"]);
    // The repository has no rampart.yaml at its root: the error names the default file.
    assert.equal(run.code, 2);
    assert.match(run.stderr, /rampart\.yaml/);
  });

  for (const name of readdirSync(join(ROOT, "examples")).filter((entry) => entry.endsWith(".yaml"))) {
    it(`examples/${name} passes and the summary counts routes, upstreams and listeners`, async () => {
      const text = readFileSync(join(ROOT, "examples", name), "utf8");
      const run = await runRampart(["check", "-c", join(ROOT, "examples", name)], { env: { ...process.env, ...dummyEnvFor(text) } });
      assert.equal(run.code, 0, run.stderr);
      const doc = parseYaml(text) as { routes: unknown[]; upstreams: object; listeners: unknown[] };
      const counts = `${doc.routes.length} routes, ${Object.keys(doc.upstreams).length} upstreams, ${doc.listeners.length} listeners`;
      assert.match(run.stdout, new RegExp(`^ok: ${counts}\\n$`));
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
