/** The demo API's in-memory dataset: a few users, ~200 generated products, and a bounded cart. */
import { hashPassword, type PasswordHash } from "./passwords.ts";

export interface DemoUser {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly password: PasswordHash;
}

export interface Product {
  readonly id: number;
  readonly name: string;
  readonly price_cents: number;
  readonly stock: number;
}

export interface CartItem {
  readonly id: number;
  readonly product_id: number;
  readonly quantity: number;
}

/** Who can log in to the demo (`rampart demo` prints the first login on purpose: it is a demo). */
export const DEMO_CREDENTIALS: readonly { readonly username: string; readonly name: string; readonly password: string }[] = [
  { username: "alice", name: "Alice Martin", password: "correct-horse-battery" },
  { username: "bob", name: "Bob Nguyen", password: "hunter2-but-longer" },
  { username: "carol", name: "Carol Diaz", password: "tr0ub4dor&3" },
  { username: "dave", name: "Dave Okafor", password: "open-sesame-42" },
];

export const PRODUCT_COUNT = 200;
export const PAGE_SIZE = 20;
/** A cap keeps the demo's memory bounded whatever a load test throws at the cart. */
export const MAX_CART_ITEMS = 10_000;

const ADJECTIVES = ["Compact", "Sturdy", "Quiet", "Bright", "Classic", "Modern", "Portable", "Smart"];
const NOUNS = ["Kettle", "Lamp", "Backpack", "Headphones", "Desk", "Chair", "Bottle", "Keyboard", "Umbrella", "Watch"];

/** Deterministic products, so tests and curl lines see the same catalog every run. */
function generateProducts(): readonly Product[] {
  const products: Product[] = [];
  for (let id = 1; id <= PRODUCT_COUNT; id++) {
    const adjective = ADJECTIVES[id % ADJECTIVES.length] as string;
    const noun = NOUNS[Math.floor(id / ADJECTIVES.length) % NOUNS.length] as string;
    products.push(Object.freeze({ id, name: `${adjective} ${noun} ${id}`, price_cents: 499 + ((id * 137) % 9500), stock: (id * 7) % 50 }));
  }
  return Object.freeze(products);
}

export interface DemoData {
  readonly usersById: ReadonlyMap<number, DemoUser>;
  readonly usersByName: ReadonlyMap<string, DemoUser>;
  readonly products: readonly Product[];
  readonly productsById: ReadonlyMap<number, Product>;
  readonly cart: Map<number, CartItem>;
  nextCartId: number;
  /** Compared against when the username is unknown, so a miss costs the same scrypt as a hit. */
  readonly decoyPassword: PasswordHash;
}

/** Builds the dataset; hashing the passwords here, once, keeps requests cheap. */
export async function createDemoData(): Promise<DemoData> {
  const hashes = await Promise.all(DEMO_CREDENTIALS.map((user) => hashPassword(user.password)));
  const users = DEMO_CREDENTIALS.map((user, index): DemoUser => Object.freeze({
    id: index + 1,
    username: user.username,
    name: user.name,
    password: hashes[index] as PasswordHash,
  }));
  const products = generateProducts();
  return {
    usersById: new Map(users.map((user) => [user.id, user])),
    usersByName: new Map(users.map((user) => [user.username, user])),
    products,
    productsById: new Map(products.map((product) => [product.id, product])),
    cart: new Map(),
    nextCartId: 1,
    decoyPassword: await hashPassword("decoy-password-never-matches"),
  };
}
