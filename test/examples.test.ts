/** examples/*.yaml against the printed JSON Schema, and the README's rampart.yaml kept equal to examples/api.yaml. */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { ROOT, runRampart, substituteDummyEnv } from "./helpers/cli-spawn.ts";

const examples = readdirSync(join(ROOT, "examples")).filter((name) => name.endsWith(".yaml"));

describe("examples", () => {
  it("there is a demo config and an API config", () => {
    assert.ok(examples.includes("demo.yaml"));
    assert.ok(examples.includes("api.yaml"));
  });

  it("`rampart schema` prints a JSON Schema (draft 2020-12) that every examples/*.yaml validates against", async () => {
    const run = await runRampart(["schema"]);
    assert.equal(run.code, 0, run.stderr);
    const schema = JSON.parse(run.stdout) as Record<string, unknown>;
    const ajv = new Ajv2020({ allErrors: true });
    // `x-…` keys are annotations for tools (messages, secret markers); ajv stays strict on the rest.
    for (const keyword of annotationKeywords(schema)) ajv.addKeyword(keyword);
    const validate = ajv.compile(schema);
    for (const name of examples) {
      const document = parse(substituteDummyEnv(readFileSync(join(ROOT, "examples", name), "utf8"))) as unknown;
      assert.ok(validate(document), `${name}: ${ajv.errorsText(validate.errors)}`);
    }
    // The schema can fail: a misspelled key is rejected.
    assert.equal(validate({ listeners: [{ port: 80 }], upstreams: {}, routes: [], mood: "calm" }), false);
  });

  it("the README's rampart.yaml block is examples/api.yaml, byte for byte", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block, "README.md has a ```yaml block");
    assert.equal(block, readFileSync(join(ROOT, "examples", "api.yaml"), "utf8"));
  });
});

/** Every `x-…` key used anywhere in a schema. */
function annotationKeywords(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) annotationKeywords(item, found);
  else if (typeof schema === "object" && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      if (key.startsWith("x-")) found.add(key);
      annotationKeywords(value, found);
    }
  }
  return found;
}
