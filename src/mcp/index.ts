export { createMcpServer, type McpOptions } from "./server.ts";
export { Sessions } from "./sessions.ts";
