// The apps themselves (Hono, highlight.js, the MCP SDK) load when a server starts, not with this module.
export type { AppOptions } from "./app.ts";
export type { ClientToken } from "./auth.ts";
export { DEFAULT_PORT, type RunningServer, type ServeOptions, startServer } from "./serve.ts";
export { parseTokensFile, readTokensFile } from "./tokens-file.ts";
