import type { Hono, Context as HonoContext } from "hono";
import { z } from "zod";
import { isLitmusError } from "../../errors.ts";
import { checkEnvs } from "../../sandbox/index.ts";
import type { E2bSandboxes, HostedSandbox } from "./e2b-sandboxes.ts";

/*
 * E2B's control plane (api.e2b.app), the part its SDKs use to create, find, connect to, time and kill sandboxes.
 * With E2B_API_URL and E2B_SANDBOX_URL pointing at litmus, every `Sandbox.create()` is a litmus sandbox of its
 * own: a self-hosted E2B on one machine. Field names are those of E2B's OpenAPI schema (NewSandbox, Sandbox,
 * SandboxDetail, ListedSandbox).
 */

/** The envd version litmus answers as: the newest feature gate of the SDKs (0.6.4: watches of network mounts). */
const ENVD_VERSION = "0.6.4";
/** The SDKs' default, for a request that names no timeout (SDKs from 2.51 leave it out). */
const DEFAULT_TIMEOUT_SECONDS = 300;
/** The longest a sandbox may live: a day, E2B's longest on its biggest plan. */
const MAX_TIMEOUT_SECONDS = 86_400;
const PAGE_LIMIT = 100;

/** At least a second: a sandbox without an end would outlive every client that forgot it. */
const Timeout = z.number().int().min(1).max(MAX_TIMEOUT_SECONDS);
const NewSandbox = z.object({
  templateID: z.string().min(1),
  metadata: z.record(z.string(), z.string()).nullish(),
  envVars: z.record(z.string(), z.string()).nullish(),
  timeout: Timeout.optional(),
});
const TimeoutBody = z.object({ timeout: Timeout });
const ConnectBody = z.object({ timeout: Timeout.optional() });

/** What the control plane needs of the E2B app. */
export interface ControlPlaneOptions {
  sandboxes: E2bSandboxes;
  /** The client a request comes from (its API key's, or the local user's). */
  clientOf: (c: HonoContext) => string;
  /** How many sandboxes a client may hold at once. */
  maxSandboxesOf: (client: string) => number;
}

export function addControlPlaneRoutes(app: Hono, options: ControlPlaneOptions): void {
  const { sandboxes, clientOf } = options;
  /** The client's own sandbox by id: one client never sees or touches another's, not even to learn it exists. */
  const mine = (c: HonoContext) => {
    const entry = sandboxes.get(c.req.param("id") ?? "");
    return entry && entry.owner === clientOf(c) ? entry : undefined;
  };

  // /v2 is where SDKs from 2.51 create and connect; the body and the answer are the same.
  app.on("POST", ["/sandboxes", "/v2/sandboxes"], async (c) => {
    const body = NewSandbox.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return apiError(c, 400, `bad request: ${z.prettifyError(body.error)}`);
    const { templateID, timeout = DEFAULT_TIMEOUT_SECONDS } = body.data;
    const envs = body.data.envVars ?? {};
    try {
      checkEnvs(envs, "envVars");
    } catch (error) {
      return apiError(c, 400, (error as Error).message);
    }
    const owner = clientOf(c);
    const held = sandboxes.listOf(owner).length;
    const most = options.maxSandboxesOf(owner);
    if (held >= most) {
      return apiError(c, 429, `${held} sandboxes of yours are running (at most ${most} at once): kill one first`);
    }
    let entry: HostedSandbox;
    try {
      entry = await sandboxes.create(owner, {
        templateId: templateID,
        metadata: body.data.metadata ?? {},
        envs,
        timeoutMs: timeout * 1000,
      });
    } catch (error) {
      // A template that is not built here, or a name no template can have: said as E2B's API says it.
      if (isLitmusError(error, "NOT_FOUND")) return apiError(c, 404, error.message);
      if (isLitmusError(error, "BAD_INPUT")) return apiError(c, 400, error.message);
      throw error;
    }
    return c.json(grantOf(entry), 201);
  });

  app.get("/sandboxes/:id", (c) => {
    const entry = mine(c);
    if (!entry) return notFound(c);
    return c.json({ ...listedOf(entry), envdAccessToken: entry.envdAccessToken });
  });

  // A running sandbox is connected to as it is (there is no pause here); its timeout becomes the one asked for.
  app.on("POST", ["/sandboxes/:id/connect", "/v2/sandboxes/:id/connect"], async (c) => {
    const entry = mine(c);
    if (!entry) return notFound(c);
    const body = ConnectBody.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) return apiError(c, 400, `bad request: ${z.prettifyError(body.error)}`);
    if (body.data.timeout !== undefined) entry.setTimeout(body.data.timeout * 1000);
    return c.json(grantOf(entry), 200);
  });

  app.post("/sandboxes/:id/timeout", async (c) => {
    const entry = mine(c);
    if (!entry) return notFound(c);
    const body = TimeoutBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return apiError(c, 400, `bad request: ${z.prettifyError(body.error)}`);
    entry.setTimeout(body.data.timeout * 1000);
    return c.body(null, 204);
  });

  app.delete("/sandboxes/:id", async (c) => {
    const entry = mine(c);
    if (!entry) return notFound(c);
    await entry.kill();
    return c.body(null, 204);
  });

  // E2B's list: the client's running sandboxes, filtered by metadata (`k=v&k2=v2`, URL-encoded) and state,
  // a page at a time (`limit`, and `nextToken` from the last page's `x-next-token` header).
  app.get("/v2/sandboxes", (c) => {
    const states = (c.req.query("state") ?? "running").split(",");
    const wanted = metadataQuery(c.req.query("metadata"));
    if (wanted === null) return apiError(c, 400, "metadata must be URL-encoded key=value pairs joined by &");
    const limit = Math.min(PAGE_LIMIT, Math.max(1, Number(c.req.query("limit") ?? PAGE_LIMIT) || PAGE_LIMIT));
    const matching = sandboxes
      .listOf(clientOf(c))
      .filter(() => states.includes("running"))
      .filter((entry) => Object.entries(wanted).every(([key, value]) => entry.metadata[key] === value))
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.id.localeCompare(b.id));
    const after = c.req.query("nextToken");
    const start = after ? matching.findIndex((entry) => entry.id === after) + 1 : 0;
    const page = matching.slice(start, start + limit);
    const next = matching[start + limit];
    if (next && page.length > 0) c.header("x-next-token", page.at(-1)?.id);
    return c.json(page.map(listedOf));
  });
  app.get("/sandboxes", (c) => c.json(sandboxes.listOf(clientOf(c)).map(listedOf)));
}

/** What names a sandbox in E2B's answers. */
function identityOf(entry: HostedSandbox) {
  return {
    templateID: entry.templateId,
    sandboxID: entry.id,
    clientID: "litmus",
    envdVersion: ENVD_VERSION,
    domain: null,
  };
}

/** What creating or connecting to a sandbox answers: who it is, and the tokens its requests carry. */
function grantOf(entry: HostedSandbox) {
  return {
    ...identityOf(entry),
    envdAccessToken: entry.envdAccessToken,
    trafficAccessToken: entry.trafficAccessToken,
  };
}

/** A sandbox as E2B's list and detail answers give it (ListedSandbox, SandboxDetail). */
function listedOf(entry: HostedSandbox) {
  return {
    ...identityOf(entry),
    metadata: entry.metadata,
    startedAt: entry.startedAt.toISOString(),
    endAt: entry.endAt.toISOString(),
    state: "running",
    ...entry.resources,
  };
}

/** `k=v&k2=v2` with each key and value URL-encoded (as the SDKs send it), or null when it is not that. */
function metadataQuery(query: string | undefined): Record<string, string> | null {
  if (!query) return {};
  try {
    return Object.fromEntries([...new URLSearchParams(query)].map(([key, value]) => [key, value]));
  } catch {
    return null;
  }
}

function notFound(c: HonoContext) {
  return apiError(c, 404, `sandbox ${c.req.param("id")} not found`);
}

/** E2B's error body: the SDKs read `code` and `message`. */
export function apiError(c: HonoContext, status: 400 | 401 | 404 | 429 | 502, message: string) {
  return c.json({ code: status, message }, status);
}
