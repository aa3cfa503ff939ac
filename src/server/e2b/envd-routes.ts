import type { Hono, Context as HonoContext } from "hono";
import type { Sandbox } from "../../sandbox/index.ts";
import { addEnvdFileRoutes } from "./envd-files.ts";
import { addEnvdProcessRoutes } from "./envd-process.ts";

/*
 * The part of E2B's in-sandbox daemon (envd) that the SDKs' `files` and `commands` use: files (envd-files.ts)
 * and processes (envd-process.ts), over Connect (envd-connect.ts). Served beside the code interpreter API and on
 * envd's own port, so with E2B_DEBUG=true the SDKs' files and commands reach the same litmus sandbox as their
 * code. Field names and enum values are those of envd's protobuf schema (filesystem.proto, process.proto).
 */

/** What envd's routes need of the E2B app: each request's client's sandbox and its limits. */
export interface EnvdClient {
  /** The sandbox of the request's client. */
  sandboxOf: (c: HonoContext) => Promise<Sandbox>;
  /** Admits a command against the client's limits (as /execute is), or says why not. */
  admit: (c: HonoContext) => { release: () => void } | { refused: string };
  /** Holds one of the client's places while a download is delivered, or says why not. */
  hold: (c: HonoContext) => { release: () => void } | { refused: string };
  /**
   * The request's sandbox died under its stream: cuts the connection when E2B's proxy would (a sandbox of the
   * control plane), answering whether it did; otherwise the stream reports the end itself.
   */
  sandboxGone: (c: HonoContext) => boolean;
}

export function addEnvdRoutes(app: Hono, client: EnvdClient): void {
  addEnvdFileRoutes(app, client);
  addEnvdProcessRoutes(app, client);
}
