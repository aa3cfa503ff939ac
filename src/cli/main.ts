import { CommanderError } from "commander";
import { messageOf } from "../errors.ts";
import type { Telemetry } from "../telemetry/index.ts";
import { exitCodeFor, reasonFor } from "./exit-codes.ts";
import { buildProgram, commandNameOf } from "./program.ts";

async function main(argv: string[]): Promise<void> {
  let telemetry: Telemetry | undefined;
  try {
    const program = await buildProgram(commandNameOf(argv.slice(2)));
    program.hook("preAction", async () => {
      const { trace, traceContent, sandbox } = program.opts<{
        trace?: string;
        traceContent?: boolean;
        sandbox?: string;
      }>();
      // Every sandbox this command starts, however deep in the code, reads the backend from here.
      if (sandbox !== undefined) {
        const { parseBackend } = await import("../sandbox/index.ts");
        process.env.LITMUS_SANDBOX = parseBackend(sandbox);
      }
      // Off unless asked for: --trace, or the standard OTEL_* variables (OpenTelemetry loads only then).
      if (trace !== undefined || Object.keys(process.env).some((name) => name.startsWith("OTEL_"))) {
        const { startTelemetry, telemetryOptionsFrom } = await import("../telemetry/index.ts");
        const options = telemetryOptionsFrom(process.env, trace, traceContent ?? false);
        if (options) telemetry = await startTelemetry(options);
      }
    });
    await program.parseAsync(argv);
  } catch (error) {
    // Commander has already printed its own message (or the help or version text).
    if (!(error instanceof CommanderError)) process.stderr.write(`litmus: ${reasonFor(error)}\n`);
    process.exitCode = exitCodeFor(error);
  } finally {
    // Spans still buffered go out before the process ends; a collector that cannot be reached costs a warning,
    // never the command's own result.
    await telemetry?.shutdown().catch((error: unknown) => {
      process.stderr.write(`litmus: traces were not all sent: ${messageOf(error)}\n`);
    });
  }
}

await main(process.argv);
