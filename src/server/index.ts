export { type AppOptions, createApp } from "./app.ts";
export { DEFAULT_PORT, type RunningServer, type ServeOptions, startServer } from "./serve.ts";
