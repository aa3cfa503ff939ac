import { createHash, timingSafeEqual } from "node:crypto";
import type { Context as HonoContext, MiddlewareHandler } from "hono";
import type { ServerAccess } from "../auth.ts";
import { apiError } from "./control-plane.ts";
import type { E2bSandbox, E2bSandboxes, HostedSandbox } from "./e2b-sandboxes.ts";

/** The id E2B's SDKs give the sandbox in debug mode: the client's one sandbox. */
const DEBUG_SANDBOX_ID = "debug_sandbox_id";

/**
 * Works out which sandbox each request is for, and whether it may use it. A request naming a sandbox of the
 * control plane (`E2b-Sandbox-Id`) must carry one of its access tokens (X-Access-Token for envd and
 * /execute, E2B-Traffic-Access-Token for the code interpreter), or come from its owner; a file URL the SDK
 * signed (`signature=v1_...`, sent with no headers) is the sandbox whose token signed it. Anything else is
 * for the client's debug-mode sandbox, behind the server's usual access rules.
 */
export class SandboxAccess {
  private readonly targets = new WeakMap<HonoContext, E2bSandbox>();
  private readonly sandboxes: E2bSandboxes;
  private readonly access: ServerAccess;

  constructor(sandboxes: E2bSandboxes, access: ServerAccess) {
    this.sandboxes = sandboxes;
    this.access = access;
  }

  middleware(): MiddlewareHandler {
    const clientAccess = this.access.middleware();
    return async (c, next) => {
      // The control plane is the client's, always behind its key: a sandbox's token opens that sandbox only.
      if (isControlPlane(c.req.path)) return clientAccess(c, next);
      const id = c.req.header("e2b-sandbox-id");
      const signature = isSignedFileUrl(c) ? c.req.query("signature") : undefined;
      if ((id === undefined || id === DEBUG_SANDBOX_ID) && signature === undefined) return clientAccess(c, next);
      const target = id && id !== DEBUG_SANDBOX_ID ? this.byId(c, id) : this.bySignature(c, signature ?? "");
      if ("refused" in target) return apiError(c, target.status, target.refused);
      this.targets.set(c, target.sandbox);
      return next();
    };
  }

  /** The sandbox a request is for: the one the middleware found, else its client's debug-mode sandbox. */
  sandboxOf(c: HonoContext): E2bSandbox {
    return this.targets.get(c) ?? this.sandboxes.debugOf(this.access.clientOf(c));
  }

  private byId(c: HonoContext, id: string): { sandbox: HostedSandbox } | { refused: string; status: 401 | 502 } {
    const sandbox = this.sandboxes.get(id);
    // 502, as E2B's proxy answers for a sandbox that is gone: the SDKs report it as killed or timed out.
    if (!sandbox) return { refused: `sandbox ${id} is not running: it was killed or timed out`, status: 502 };
    const presented = [c.req.header("x-access-token"), c.req.header("e2b-traffic-access-token")];
    const tokens = [sandbox.envdAccessToken, sandbox.trafficAccessToken];
    if (presented.some((token) => token !== undefined && tokens.some((mine) => same(token, mine)))) return { sandbox };
    // Its owner may use it without a token, as the debug-mode sandbox (the same local user, the same API key).
    if (this.isOwner(c, sandbox)) return { sandbox };
    return { refused: `sandbox ${id} wants its access token (X-Access-Token)`, status: 401 };
  }

  private bySignature(
    c: HonoContext,
    signature: string,
  ): { sandbox: HostedSandbox } | { refused: string; status: 401 } {
    const expiration = c.req.query("signature_expiration");
    const operation = c.req.method === "GET" ? "read" : "write";
    const signed = `${c.req.query("path") ?? ""}:${operation}:${c.req.query("username") ?? ""}`;
    const sandbox = this.sandboxes
      .all()
      .find((candidate) => same(signature, signatureOf(signed, candidate.envdAccessToken, expiration)));
    if (!sandbox) return { refused: "the URL's signature is not valid for any running sandbox", status: 401 };
    if (expiration !== undefined && Number(expiration) * 1000 < Date.now()) {
      return { refused: "signature is already expired", status: 401 };
    }
    return { sandbox };
  }

  /** Without tokens (loopback), the local user who created it; with tokens, the API key it was created with. */
  private isOwner(c: HonoContext, sandbox: HostedSandbox): boolean {
    return this.access.clientOf(c) === sandbox.owner;
  }
}

function isControlPlane(path: string): boolean {
  return /^\/(v2\/)?sandboxes(\/|$)/.test(path);
}

/** A file URL the SDK signed (`downloadUrl`, `uploadUrl`), which names no sandbox and carries no headers. */
export function isSignedFileUrl(c: HonoContext): boolean {
  return (
    c.req.path === "/files" && c.req.query("signature") !== undefined && c.req.header("e2b-sandbox-id") === undefined
  );
}

/** E2B's v1 signature of a file URL: SHA-256 of `path:operation:user:token[:expiration]`, base64 unpadded. */
function signatureOf(signed: string, token: string, expiration: string | undefined): string {
  const raw = expiration === undefined ? `${signed}:${token}` : `${signed}:${token}:${expiration}`;
  return `v1_${createHash("sha256").update(raw).digest("base64").replace(/=+$/, "")}`;
}

/** Compared in constant time (of equal-length digests: the secret's length must not show either). */
function same(presented: string, secret: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(presented), digest(secret));
}
