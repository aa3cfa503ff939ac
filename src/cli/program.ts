import { Command, type Help } from "commander";
import { VERSION } from "../version.ts";

type Register = (program: Command) => void;

/**
 * The commands, in the order the help lists them. A command's module (and everything it imports: the sandbox,
 * models, datasets) is loaded only when that command runs, so `litmus --help` and `litmus run` do not pay for
 * the rest. `usage` and `summary` are what the top-level help shows; a test checks they match the modules.
 */
export const COMMANDS: readonly { name: string; usage: string; summary: string; load: () => Promise<Register> }[] = [
  {
    name: "run",
    usage: "[options] [file]",
    summary: "Run a file (or stdin) in a fresh isolated sandbox",
    load: async () => (await import("./run.ts")).registerRunCommand,
  },
  {
    name: "solve",
    usage: "[options] [task]",
    summary: "Generate code for a task, run it against its tests in the sandbox, and repair it until they pass",
    load: async () => (await import("./solve.ts")).registerSolveCommand,
  },
  {
    name: "runs",
    usage: "",
    summary: "Look at past runs (the run store)",
    load: async () => (await import("./runs.ts")).registerRunsCommand,
  },
  {
    name: "bench",
    usage: "",
    summary: "Benchmarks: score samples and models on HumanEval/MBPP (+), the sandbox, the local model",
    load: async () => (await import("./bench.ts")).registerBenchCommand,
  },
  {
    name: "learn",
    usage: "",
    summary: "Learn a playbook from a dataset's training tasks (visible tests only); resumable",
    load: async () => (await import("./learn.ts")).registerLearnCommand,
  },
  {
    name: "playbook",
    usage: "",
    summary: "Read and manage a playbook file: show, diff, history, rollback, export, prune, merge",
    load: async () => (await import("./playbook.ts")).registerPlaybookCommand,
  },
  {
    name: "check",
    usage: "",
    summary: "Prove by running: the code in documentation",
    load: async () => (await import("./check.ts")).registerCheckCommand,
  },
  {
    name: "tests",
    usage: "",
    summary: "Judge test files by running them",
    load: async () => (await import("./tests.ts")).registerTestsCommand,
  },
  {
    name: "test",
    usage: "[options] [dir] [command...]",
    summary:
      "Run a project's tests in the sandbox: on a writable copy of it (the host's files never change), no network",
    load: async () => (await import("./test.ts")).registerTestCommand,
  },
  {
    name: "review",
    usage: "",
    summary: "Review generated code before it runs: approve, edit or reject; then run it and save an artifact",
    load: async () => (await import("./review.ts")).registerReviewCommand,
  },
  {
    name: "serve",
    usage: "[options]",
    summary: "The web app: review generated code (approve, edit, reject), watch it run, download artifacts",
    load: async () => (await import("./serve.ts")).registerServeCommand,
  },
  {
    name: "mcp",
    usage: "[options]",
    summary: "An MCP server on stdio: run_code, sessions and their files, solve, check_docs for agents",
    load: async () => (await import("./mcp.ts")).registerMcpCommand,
  },
  {
    name: "worker",
    usage: "[options]",
    summary: "Take jobs of bench run --queue and learn --queue from a Redis queue and run them, until stopped",
    load: async () => (await import("./worker.ts")).registerWorkerCommand,
  },
  {
    name: "queue",
    usage: "",
    summary: "The Redis queue of litmus worker: what waits, runs, failed",
    load: async () => (await import("./worker.ts")).registerQueueCommand,
  },
  {
    name: "models",
    usage: "",
    summary: "See and prepare models",
    load: async () => (await import("./models.ts")).registerModelsCommand,
  },
  {
    name: "template",
    usage: "",
    summary: "Sandbox templates: Python environments built once and mounted into the sandboxes that ask",
    load: async () => (await import("./template.ts")).registerTemplateCommand,
  },
];

/** The global options that take a value: the command name comes after them and their values. */
const GLOBAL_OPTIONS_WITH_VALUES = new Set(["--trace", "--sandbox"]);

/** The command the arguments name (`help NAME` names NAME), or undefined when they name none. */
export function commandNameOf(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    if (GLOBAL_OPTIONS_WITH_VALUES.has(arg)) {
      index++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return arg === "help" ? args[index + 1] : arg;
  }
  return undefined;
}

/**
 * The program with the named command registered in full; without one (the top-level help, an unknown
 * command), every command is listed by its name, usage and summary, without loading any.
 */
export async function buildProgram(commandName?: string): Promise<Command> {
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
  const named = COMMANDS.find((command) => command.name === commandName);
  if (named) {
    (await named.load())(program);
    return program;
  }
  const usages = new Map(COMMANDS.map((command) => [command.name, command.usage]));
  for (const command of COMMANDS) program.command(command.name).description(command.summary);
  program.configureHelp({
    subcommandTerm: (command) => [command.name(), usages.get(command.name()) ?? command.usage()].join(" ").trim(),
  } satisfies Partial<Help>);
  return program;
}
