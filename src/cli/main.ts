import { Command, CommanderError } from "commander";
import { registerBenchCommand } from "./bench.ts";
import { registerCheckCommand } from "./check.ts";
import { exitCodeFor, reasonFor } from "./exit-codes.ts";
import { registerLearnCommand } from "./learn.ts";
import { registerModelsCommand } from "./models.ts";
import { registerPlaybookCommand } from "./playbook.ts";
import { registerReviewCommand } from "./review.ts";
import { registerRunCommand } from "./run.ts";
import { registerRunsCommand } from "./runs.ts";
import { registerSolveCommand } from "./solve.ts";
import { registerTestCommand } from "./test.ts";
import { registerTestsCommand } from "./tests.ts";

function buildProgram(): Command {
  const program = new Command("litmus")
    .description("Run generated code before anyone trusts it.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
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
  registerModelsCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    // Commander has already printed its own message (or the help or version text).
    if (!(error instanceof CommanderError)) process.stderr.write(`litmus: ${reasonFor(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

await main(process.argv);
