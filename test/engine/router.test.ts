/** The router: most specific route wins whatever the declaration order; params; conflicts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRouter, RouteConflictError, type Route } from "../../src/engine/index.ts";
import { makeRoute } from "../helpers/gate-facts.ts";

const exact = makeRoute({ id: "me", pattern: "/users/me" });
const param = makeRoute({ id: "user", pattern: "/users/:id" });
const posts = makeRoute({ id: "posts", pattern: "/users/:id/posts" });
const wildcard = makeRoute({ id: "users_any", pattern: "/users/*" });
const files = makeRoute({ id: "files", pattern: "/files/*" });
const root = makeRoute({ id: "root", pattern: "/" });

/** Every order of the routes, so precedence cannot come from declaration order. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe("createRouter", () => {
  it("prefers exact over param over wildcard, in every declaration order", () => {
    for (const order of permutations<Route>([exact, param, posts, wildcard])) {
      const router = createRouter(order);
      const ids = order.map((r) => r.id).join(",");
      assert.equal(router.match("/users/me")?.route.id, "me", ids);
      assert.equal(router.match("/users/42")?.route.id, "user", ids);
      assert.equal(router.match("/users/42/posts")?.route.id, "posts", ids);
      assert.equal(router.match("/users/42/likes")?.route.id, "users_any", ids);
    }
  });

  it("falls back from an exact segment to a param when the rest only fits the param's branch", () => {
    const router = createRouter([exact, posts]);
    const match = router.match("/users/me/posts");
    assert.equal(match?.route.id, "posts");
    assert.deepEqual(match?.params, { id: "me" });
  });

  it("gives params, decoded, and the rest of the path as `*`", () => {
    const router = createRouter([param, files]);
    assert.deepEqual(router.match("/users/j%C3%B6rg")?.params, { id: "jörg" });
    assert.deepEqual(router.match("/users/a%2Fb")?.params, { id: "a/b" });
    // A malformed escape is kept as sent rather than failing the request.
    assert.deepEqual(router.match("/users/%E0%A4%A")?.params, { id: "%E0%A4%A" });
    assert.deepEqual(router.match("/files/a/b/c.txt")?.params, { "*": "a/b/c.txt" });
  });

  it("ignores one trailing slash, on paths and on patterns", () => {
    const router = createRouter([param, makeRoute({ id: "health", pattern: "/health/" }), root]);
    assert.equal(router.match("/users/42/")?.route.id, "user");
    assert.equal(router.match("/health")?.route.id, "health");
    assert.equal(router.match("/health/")?.route.id, "health");
    assert.equal(router.match("/")?.route.id, "root");
  });

  it("does not match what no route covers", () => {
    const router = createRouter([param, posts]);
    assert.equal(router.match("/users"), undefined);
    assert.equal(router.match("/users/42/posts/9"), undefined);
    assert.equal(router.match("/other"), undefined);
    // An empty segment is not a value for a param.
    assert.equal(router.match("/users//posts"), undefined);
  });

  it("throws RouteConflictError for two routes of the same shape", () => {
    const conflicts: Route[][] = [
      [param, makeRoute({ id: "by_name", pattern: "/users/:name" })],
      [exact, makeRoute({ id: "me2", pattern: "/users/me" })],
      [files, makeRoute({ id: "files2", pattern: "/files/*" })],
      [makeRoute({ id: "mid", pattern: "/a/*/b" })],
    ];
    for (const routes of conflicts) assert.throws(() => createRouter(routes), RouteConflictError, routes.map((r) => r.pattern).join(" vs "));
  });
});
