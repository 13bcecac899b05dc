import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { jsonSchema } from "../../src/config/json-schema.ts";
import { MINIMAL } from "../helpers/config-fixtures.ts";

test("the printed schema is draft 2020-12, strict-valid, and accepts a valid config", () => {
  const schema = jsonSchema();
  assert.equal(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  assert.ok(!JSON.stringify(schema).includes('"x-'), "x- annotations are left out");
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  const validate = ajv.compile(schema);
  const full = `${MINIMAL}mode: dry-run
trusted_proxies: [10.0.0.0/8]
limits: {max_body_bytes: 2mb, max_url_bytes: 4096}
admin: {tokens: [{name: ops, token: 0123456789abcdefgh}]}
logging: {level: debug}
shutdown: {drain_timeout: 10s}
`;
  assert.ok(validate(parse(full)), JSON.stringify(validate.errors));
  assert.equal(validate(parse(`${MINIMAL}colour: blue\n`)), false);
  assert.equal(validate(parse(MINIMAL.replace("[GET]", "[FETCH]"))), false);
});

test("the schema is JSON: printable and stable", () => {
  assert.equal(JSON.stringify(jsonSchema()), JSON.stringify(JSON.parse(JSON.stringify(jsonSchema()))));
});

test("numbers and booleans may be written as ${NAME} in the file, as the loader substitutes them", () => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  const validate = ajv.compile(jsonSchema());
  const text = MINIMAL.replace("port: 8080", "port: ${PORT}") + "strict_routes: ${STRICT}\ndefault_upstream: api\n";
  assert.ok(validate(parse(text)), JSON.stringify(validate.errors));
  assert.equal(validate(parse(MINIMAL.replace("port: 8080", "port: ${PORT"))), false);
  assert.equal(validate(parse(MINIMAL.replace("port: 8080", "port: eighty"))), false);
});
