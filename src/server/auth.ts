import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";

const COOKIE = "litmus_token";

/**
 * Requires the server's token on every request when one is set: `Authorization: Bearer TOKEN`, or a cookie
 * that opening `/?token=TOKEN` once in the browser sets (so links and downloads work without headers).
 */
export function requireToken(token: string | null): MiddlewareHandler {
  return async (c, next) => {
    if (token === null) return next();
    const fromQuery = c.req.query("token");
    const presented =
      c.req.header("authorization")?.replace(/^Bearer\s+/i, "") ?? fromQuery ?? getCookie(c, COOKIE) ?? "";
    if (!sameSecret(presented, token)) {
      return c.text(
        "litmus serve: a token is required (open /?token=TOKEN, or send Authorization: Bearer TOKEN)\n",
        401,
      );
    }
    if (fromQuery) setCookie(c, COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/" });
    return next();
  };
}

function sameSecret(presented: string, token: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
