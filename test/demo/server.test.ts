/** The demo API over a real socket: every endpoint's answers, good and bad. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEMO_CREDENTIALS, PAGE_SIZE, PRODUCT_COUNT } from "../../src/demo/data.ts";
import { startDemoApi, type DemoApi } from "../../src/demo/server.ts";

let api: DemoApi;
before(async () => {
  api = await startDemoApi({ port: 0, host: "127.0.0.1" });
});
after(async () => {
  await api.close();
});

const post = (path: string, body: unknown, type = "application/json") =>
  fetch(`${api.url}${path}`, { method: "POST", headers: { "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body), signal: AbortSignal.timeout(5000) });
const get = (path: string) => fetch(`${api.url}${path}`, { signal: AbortSignal.timeout(5000) });

describe("demo API", () => {
  it("listens on 127.0.0.1 on the port it was given (0: a free one)", () => {
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(api.port > 0);
  });

  it("POST /auth/login: 200 with a session token for the right password", async () => {
    const user = DEMO_CREDENTIALS[0]!;
    const res = await post("/auth/login", { username: user.username, password: user.password });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { token: string; user: { username: string } };
    assert.ok(body.token.length >= 24);
    assert.equal(body.user.username, user.username);
  });

  it("POST /auth/login: the same 401 problem for a wrong password and an unknown user", async () => {
    const wrong = await post("/auth/login", { username: DEMO_CREDENTIALS[0]!.username, password: "nope" });
    const unknown = await post("/auth/login", { username: "mallory", password: "nope" });
    for (const res of [wrong, unknown]) {
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
    }
    assert.deepEqual(await wrong.json(), await unknown.json());
  });

  it("POST /auth/login: 400 for a body without the fields, 415 for non-JSON, 413 over 16 KB", async () => {
    assert.equal((await post("/auth/login", { username: 1 })).status, 400);
    assert.equal((await post("/auth/login", "{not json")).status, 400);
    assert.equal((await post("/auth/login", "username=a", "application/x-www-form-urlencoded")).status, 415);
    assert.equal((await post("/auth/login", { username: "a", password: "x".repeat(20_000) })).status, 413);
  });

  it("POST /auth/otp: 202 for a phone number, 400 otherwise", async () => {
    assert.equal((await post("/auth/otp", { phone: "+15551234567" })).status, 202);
    assert.equal((await post("/auth/otp", { phone: "call me" })).status, 400);
  });

  it("GET /users/:id: 200 for a user, 404 problem otherwise", async () => {
    const res = await get("/users/2");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: 2, username: DEMO_CREDENTIALS[1]!.username, name: DEMO_CREDENTIALS[1]!.name });
    for (const id of ["999", "0", "abc"]) {
      const missing = await get(`/users/${id}`);
      assert.equal(missing.status, 404, id);
      assert.equal(missing.headers.get("content-type"), "application/problem+json");
      await missing.body?.cancel();
    }
  });

  it("GET /products?page=N: 20 per page over ~200 products, pages do not overlap", async () => {
    const first = (await (await get("/products?page=1")).json()) as { page: number; pages: number; total: number; items: { id: number }[] };
    const second = (await (await get("/products?page=2")).json()) as { items: { id: number }[] };
    const none = (await (await get("/products")).json()) as { page: number };
    assert.equal(first.total, PRODUCT_COUNT);
    assert.equal(first.pages, Math.ceil(PRODUCT_COUNT / PAGE_SIZE));
    assert.equal(first.items.length, PAGE_SIZE);
    assert.deepEqual(first.items.map((p) => p.id), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual(second.items.map((p) => p.id), Array.from({ length: 20 }, (_, i) => i + 21));
    assert.equal(none.page, 1);
    const past = (await (await get(`/products?page=${first.pages + 1}`)).json()) as { items: unknown[] };
    assert.deepEqual(past.items, []);
    assert.equal((await get("/products?page=-1")).status, 400);
  });

  it("POST /cart/items then DELETE /cart/items/:id: 201 with Location, 204, then 404", async () => {
    const added = await post("/cart/items", { product_id: 7, quantity: 2 });
    assert.equal(added.status, 201);
    const item = (await added.json()) as { id: number; product_id: number; quantity: number };
    assert.equal(item.product_id, 7);
    assert.equal(item.quantity, 2);
    assert.equal(added.headers.get("location"), `/cart/items/${item.id}`);
    const del = () => fetch(`${api.url}/cart/items/${item.id}`, { method: "DELETE", signal: AbortSignal.timeout(5000) });
    assert.equal((await del()).status, 204);
    assert.equal((await del()).status, 404);
  });

  it("POST /cart/items: 422 for a product that does not exist, 400 for a bad quantity", async () => {
    assert.equal((await post("/cart/items", { product_id: 100_000, quantity: 1 })).status, 422);
    assert.equal((await post("/cart/items", { product_id: 1, quantity: 0 })).status, 400);
  });

  it("GET /health: 200; unknown path 404; wrong method 405 with Allow", async () => {
    assert.equal((await get("/health")).status, 200);
    assert.equal((await get("/nowhere")).status, 404);
    const res = await fetch(`${api.url}/products`, { method: "DELETE", signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET");
  });

  it("a malformed escape in a path parameter gets 400, and the server keeps serving", async () => {
    assert.equal((await get("/users/%E0%A4%A")).status, 400);
    assert.equal((await get("/health")).status, 200);
  });
});
