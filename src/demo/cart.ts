/** POST /cart/items and DELETE /cart/items/:id: the endpoints inventory hoarding goes after. */
import { MAX_CART_ITEMS, type DemoData } from "./data.ts";
import { asRecord, readJson, sendEmpty, sendJson, sendProblem } from "./http.ts";
import type { Handler } from "./router.ts";

const MAX_QUANTITY = 99;

/** Adds an item: 201 with the item and its Location. */
export function addCartItemHandler(data: DemoData): Handler {
  return async ({ req, res }) => {
    const body = await readJson(req);
    if (!body.ok) return sendProblem(res, body.error.status, body.error.detail);
    const fields = asRecord(body.value);
    const productId = fields?.["product_id"];
    const quantity = fields?.["quantity"] ?? 1;
    if (!Number.isInteger(productId) || !Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > MAX_QUANTITY) {
      return sendProblem(res, 400, `send {"product_id": integer, "quantity": 1..${MAX_QUANTITY}}`);
    }
    if (!data.productsById.has(productId as number)) return sendProblem(res, 422, `product ${String(productId)} does not exist`);
    if (data.cart.size >= MAX_CART_ITEMS) return sendProblem(res, 503, "the demo cart is full; remove items first");
    const item = { id: data.nextCartId++, product_id: productId as number, quantity: quantity as number };
    data.cart.set(item.id, item);
    sendJson(res, 201, item, { location: `/cart/items/${item.id}` });
  };
}

/** Removes an item: 204, or 404 when there is no such item. */
export function removeCartItemHandler(data: DemoData): Handler {
  return ({ res, params }) => {
    const id = Number(params["id"]);
    if (!Number.isInteger(id) || !data.cart.delete(id)) return sendProblem(res, 404);
    sendEmpty(res, 204);
  };
}
