/** The lines `rampart demo` prints: URLs, and curl lines that point at them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demoBanner } from "../../src/cli/demo-banner.ts";

const input = { gatewayUrl: "http://127.0.0.1:8080", apiUrl: "http://127.0.0.1:40001", adminUrl: "http://127.0.0.1:9090" };

describe("demo banner", () => {
  it("names both URLs and gives a login, a 405, a 404, a CORS preflight and the metrics to try", () => {
    const text = demoBanner({ ...input, generatedToken: "tok-0123456789abcdef" });
    assert.match(text, /gateway +http:\/\/127\.0\.0\.1:8080/);
    assert.match(text, /demo API +http:\/\/127\.0\.0\.1:40001/);
    assert.match(text, /curl -i -X POST http:\/\/127\.0\.0\.1:8080\/auth\/login .* -d '\{"username":"alice","password":"[^']+"\}'/);
    assert.match(text, /curl -i -X DELETE http:\/\/127\.0\.0\.1:8080\/products/);
    assert.match(text, /curl -i http:\/\/127\.0\.0\.1:8080\/\S+\n/);
    assert.match(text, /curl -i -X OPTIONS http:\/\/127\.0\.0\.1:8080\/products -H 'Origin: [^']+' -H 'Access-Control-Request-Method: GET'/);
    assert.match(text, /curl -H 'authorization: Bearer tok-0123456789abcdef' http:\/\/127\.0\.0\.1:9090\/metrics/);
  });

  it("does not print a token it did not generate: the curl line reads it from the environment", () => {
    const text = demoBanner({ ...input, generatedToken: undefined });
    assert.match(text, /curl -H "authorization: Bearer \$RAMPART_ADMIN_TOKEN" http:\/\/127\.0\.0\.1:9090\/metrics/);
    assert.doesNotMatch(text, /tok-/);
  });

  it("leaves out the admin lines when the admin listener is off", () => {
    const text = demoBanner({ ...input, adminUrl: undefined, generatedToken: "tok-0123456789abcdef" });
    assert.doesNotMatch(text, /metrics|admin/);
  });
});
