import type { Command } from "commander";
import { disposeLocalModels } from "../models/index.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { untilStopSignal } from "./signals.ts";

export function registerMcpCommand(program: Command): void {
  addModelOptions(
    program
      .command("mcp")
      .description("An MCP server on stdio: run_code, sessions and their files, solve, check_docs for agents"),
  ).action(async (options: ModelCommandOptions) => {
    const { StdioServerTransport } = await import("@modelcontextprotocol/sdk/server/stdio.js");
    const { createMcpServer } = await import("../mcp/index.ts");
    let opened: ReturnType<typeof openCommandModel> | undefined;
    const { server, sessions } = createMcpServer({
      model: () => {
        opened ??= openCommandModel(options);
        return opened;
      },
    });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      process.stdin.once("end", resolve);
      void untilStopSignal().then(resolve);
    });
    await server.connect(transport);
    process.stderr.write("litmus mcp: ready on stdio\n");
    await closed;
    // Every session's sandbox goes with the server: nothing an agent started outlives it.
    await sessions.closeAll();
    await server.close();
    await disposeLocalModels();
  });
}
