import { dirname, join } from "node:path";
import type { Command } from "commander";
import { disposeLocalModels } from "../models/index.ts";
import type { BuiltTemplate } from "../sandbox/index.ts";
import { DEFAULT_PORT, readTokensFile, startServer } from "../server/index.ts";
import { RunStore } from "../store/index.ts";
import { templateOnDemand } from "./builtin-template.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { nonNegativeInteger } from "./options.ts";
import { untilStopSignal } from "./signals.ts";

interface ServeCommandOptions extends ModelCommandOptions {
  host: string;
  port: number;
  e2bPort: number;
  envdPort: number;
  e2b: boolean;
  token?: string;
  tokens?: string;
  artifacts?: string;
  e2bTemplate: string;
}

export function registerServeCommand(program: Command): void {
  addModelOptions(
    program
      .command("serve")
      .description("The web app: review generated code (approve, edit, reject), watch it run, download artifacts"),
  )
    .option("--host <host>", "address to listen on (beyond loopback a token is required)", "127.0.0.1")
    .option("--port <port>", "port (0: any free one)", nonNegativeInteger, DEFAULT_PORT)
    .option("--e2b-port <port>", "port of the E2B-compatible code interpreter API", nonNegativeInteger, 49999)
    .option(
      "--envd-port <port>",
      "port of envd's API (the SDKs' files and commands), beside it",
      nonNegativeInteger,
      49983,
    )
    .option("--no-e2b", "do not serve the E2B-compatible API (nor envd's)")
    .option(
      "--token <token>",
      "token every request must carry (default: generated when not on loopback; or $LITMUS_TOKEN)",
    )
    .option(
      "--tokens <file>",
      'clients, a line each: "NAME TOKEN"; each has its own limits (runs at once, per minute, sessions)',
    )
    .option("--artifacts <dir>", "where finished reviews are saved (default: next to the run store)")
    .option(
      "--e2b-template <name>",
      'template of the E2B API\'s sandboxes, built on first use; "none" for the plain sandbox',
      "code-interpreter",
    )
    .action(async (options: ServeCommandOptions) => {
      const clients = options.tokens ? await readTokensFile(options.tokens) : [];
      const e2bTemplate = options.e2b ? await e2bTemplateOf(options.e2bTemplate) : null;
      const store = RunStore.open();
      let opened: ReturnType<typeof openCommandModel> | undefined;
      const token = options.token ?? process.env.LITMUS_TOKEN;
      const server = await startServer({
        store,
        artifactsDir: options.artifacts ?? join(dirname(store.path), "artifacts"),
        model: () => {
          opened ??= openCommandModel(options);
          return opened;
        },
        host: options.host,
        port: options.port,
        e2bPort: options.e2b ? options.e2bPort : null,
        envdPort: options.e2b ? options.envdPort : null,
        e2bTemplate,
        ...(token ? { token } : {}),
        ...(clients.length > 0 ? { clients } : {}),
      });
      process.stderr.write(
        `litmus serve: ${server.url}${server.token ? `?token=${server.token}` : ""} (reviews in ${store.path}; Ctrl-C stops)\n`,
      );
      if (server.e2bUrl) {
        const envd = server.envdUrl ? `, envd (files, commands) on ${server.envdUrl}` : "";
        process.stderr.write(`litmus serve: E2B code interpreter API on ${server.e2bUrl}${envd}\n`);
        const api = server.e2bUrl.replace(/\/$/, "");
        const key = token || clients.length > 0 ? "YOUR_TOKEN E2B_VALIDATE_API_KEY=false" : `e2b_${"0".repeat(40)}`;
        process.stderr.write(
          `litmus serve: E2B's SDKs: E2B_DEBUG=true (one sandbox per client), or E2B_API_URL=${api} E2B_SANDBOX_URL=${api} E2B_API_KEY=${key} (a sandbox per Sandbox.create)\n`,
        );
      }
      await untilStopSignal();
      await server.close();
      store.close();
      await disposeLocalModels();
    });
}

/** The E2B API's template: resolved, or built first (with progress) when it is a built-in not built yet. */
function e2bTemplateOf(name: string): Promise<BuiltTemplate | null> {
  return name === "none" ? Promise.resolve(null) : templateOnDemand(name, "serve", "for the E2B API");
}
