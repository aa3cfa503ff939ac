import { Command, CommanderError } from "commander";
import { registerBenchCommand } from "./bench.ts";
import { EXIT, exitCodeFor, reasonFor } from "./exit-codes.ts";
import { registerRunCommand } from "./run.ts";

function buildProgram(): Command {
  const program = new Command("litmus")
    .description("Run generated code before anyone trusts it.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerRunCommand(program);
  registerBenchCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help/version text).
      process.exitCode = exitCodeFor(error);
      return;
    }
    process.stderr.write(`litmus: ${reasonFor(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

process.exitCode = EXIT.ok;
await main(process.argv);
