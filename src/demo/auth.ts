/** POST /auth/login and POST /auth/otp: the endpoints credential stuffing and SMS bombing aim at. */
import { randomBytes } from "node:crypto";
import type { DemoData } from "./data.ts";
import { asRecord, readJson, sendJson, sendProblem } from "./http.ts";
import { verifyPassword } from "./passwords.ts";
import type { Handler } from "./router.ts";

const PHONE = /^\+?[0-9]{6,15}$/;

/** Logs a user in: 200 with a (fake) session token, or one uniform 401 whatever was wrong. */
export function loginHandler(data: DemoData): Handler {
  return async ({ req, res }) => {
    const body = await readJson(req);
    if (!body.ok) return sendProblem(res, body.error.status, body.error.detail);
    const fields = asRecord(body.value);
    const username = fields?.["username"];
    const password = fields?.["password"];
    if (typeof username !== "string" || typeof password !== "string") {
      return sendProblem(res, 400, "send {\"username\": string, \"password\": string}");
    }
    const user = data.usersByName.get(username);
    // Unknown users are checked against a decoy hash: the same answer in the same time, so the
    // login endpoint cannot be used to enumerate usernames.
    const matches = await verifyPassword(password, user?.password ?? data.decoyPassword);
    if (user === undefined || !matches) return sendProblem(res, 401, "invalid username or password");
    sendJson(res, 200, {
      token: randomBytes(24).toString("base64url"),
      token_type: "session",
      expires_in: 3600,
      user: { id: user.id, username: user.username },
    });
  };
}

/** Pretends to send a one-time code by SMS: 202 for any well-formed phone number. */
export function otpHandler(): Handler {
  return async ({ req, res }) => {
    const body = await readJson(req);
    if (!body.ok) return sendProblem(res, body.error.status, body.error.detail);
    const phone = asRecord(body.value)?.["phone"];
    if (typeof phone !== "string" || !PHONE.test(phone)) {
      return sendProblem(res, 400, "send {\"phone\": \"+15551234567\"} (6 to 15 digits)");
    }
    sendJson(res, 202, { status: "sent", expires_in: 300 });
  };
}
