/** GET /users/:id and GET /products?page=N: the read endpoints scrapers and enumerators walk. */
import { PAGE_SIZE, type DemoData } from "./data.ts";
import { sendJson, sendProblem } from "./http.ts";
import type { Handler } from "./router.ts";

const POSITIVE_INTEGER = /^[1-9][0-9]{0,8}$/;

/** One user's public profile, or 404. */
export function userHandler(data: DemoData): Handler {
  return ({ res, params }) => {
    const id = params["id"] ?? "";
    const user = POSITIVE_INTEGER.test(id) ? data.usersById.get(Number(id)) : undefined;
    if (user === undefined) return sendProblem(res, 404);
    sendJson(res, 200, { id: user.id, username: user.username, name: user.name });
  };
}

/** A page of the catalog, PAGE_SIZE products per page; a page past the end is empty. */
export function productsHandler(data: DemoData): Handler {
  const pages = Math.ceil(data.products.length / PAGE_SIZE);
  return ({ res, query }) => {
    const raw = query.get("page") ?? "1";
    if (!POSITIVE_INTEGER.test(raw)) return sendProblem(res, 400, "page must be a positive integer");
    const page = Number(raw);
    const start = (page - 1) * PAGE_SIZE;
    sendJson(res, 200, {
      page,
      per_page: PAGE_SIZE,
      pages,
      total: data.products.length,
      items: data.products.slice(start, start + PAGE_SIZE),
    });
  };
}
