import { Command, CommanderError } from "commander";
import { messageOf } from "../errors.ts";
import { parseBackend } from "../sandbox/index.ts";
import { startTelemetry, type Telemetry, telemetryOptionsFrom } from "../telemetry/index.ts";
import { VERSION } from "../version.ts";
import { registerBenchCommand } from "./bench.ts";
import { registerCheckCommand } from "./check.ts";
import { exitCodeFor, reasonFor } from "./exit-codes.ts";
import { registerLearnCommand } from "./learn.ts";
import { registerMcpCommand } from "./mcp.ts";
import { registerModelsCommand } from "./models.ts";
import { registerPlaybookCommand } from "./playbook.ts";
import { registerReviewCommand } from "./review.ts";
import { registerRunCommand } from "./run.ts";
import { registerRunsCommand } from "./runs.ts";
import { registerServeCommand } from "./serve.ts";
import { registerSolveCommand } from "./solve.ts";
import { registerTestCommand } from "./test.ts";
import { registerTestsCommand } from "./tests.ts";
import { registerQueueCommand, registerWorkerCommand } from "./worker.ts";

function buildProgram(): Command {
  const program = new Command("litmus")
    .description("Run generated code before anyone trusts it.")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .option(
      "--trace <exporter>",
      "trace this run: console (spans on stderr), otlp (OTEL_EXPORTER_OTLP_* settings), none",
    )
    .option(
      "--sandbox <backend>",
      "where code runs: local (bubblewrap on this machine, the default) or e2b (E2B's cloud; needs E2B_API_KEY); also $LITMUS_SANDBOX",
    )
    .option(
      "--trace-content",
      "with tracing on, record prompts, answers and code in the spans (off: they may be private)",
    )
    .exitOverride();
  registerRunCommand(program);
  registerSolveCommand(program);
  registerRunsCommand(program);
  registerBenchCommand(program);
  registerLearnCommand(program);
  registerPlaybookCommand(program);
  registerCheckCommand(program);
  registerTestsCommand(program);
  registerTestCommand(program);
  registerReviewCommand(program);
  registerServeCommand(program);
  registerMcpCommand(program);
  registerWorkerCommand(program);
  registerQueueCommand(program);
  registerModelsCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  let telemetry: Telemetry | undefined;
  const program = buildProgram();
  // Off unless asked for: --trace, or the standard OTEL_* variables.
  program.hook("preAction", async () => {
    const { trace, traceContent, sandbox } = program.opts<{
      trace?: string;
      traceContent?: boolean;
      sandbox?: string;
    }>();
    // Every sandbox this command starts, however deep in the code, reads the backend from here.
    if (sandbox !== undefined) process.env.LITMUS_SANDBOX = parseBackend(sandbox);
    const options = telemetryOptionsFrom(process.env, trace, traceContent ?? false);
    if (options) telemetry = await startTelemetry(options);
  });
  try {
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
