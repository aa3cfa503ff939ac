import { basename, join } from "node:path";
import type { Command } from "commander";
import type { ProjectTestReport } from "../check/index.ts";
import { LitmusError } from "../errors.ts";
import { parseBytes, parseDuration } from "../sandbox/index.ts";
import { writeJson } from "./options.ts";

interface TestCommandOptions {
  timeout: string;
  memory: string;
  json?: boolean;
}

export function registerTestCommand(program: Command): void {
  program
    .command("test")
    .description(
      "Run a project's tests in the sandbox: on a writable copy of it (the host's files never change), no network",
    )
    .argument("[dir]", "the project directory", ".")
    .argument(
      "[command...]",
      "after --: the command that runs the tests (default: detected: pytest, npm test, node --test, go test)",
    )
    .option("-t, --timeout <duration>", "limit of the whole test run", "10m")
    .option("-m, --memory <size>", "memory of the sandbox, the project's copy included", "2G")
    .option("--json", "print one JSON document on stdout (the run's output inside it)")
    .action(async (dir: string, rest: string[], options: TestCommandOptions) => {
      const { shellWord } = await import("../check/index.ts");
      process.exitCode = await testCommand(...splitOperands(dir, rest, shellWord), options);
    });
}

/**
 * The directory and the command from the operands: everything after `--` is the command, so in
 * `litmus test -- make check` "make" is not the directory. One word after `--` is a shell command as written
 * (`-- "make check && make lint"`); several are argv, each quoted.
 */
function splitOperands(dir: string, rest: string[], shellWord: (word: string) => string): [string, string | undefined] {
  const separator = process.argv.indexOf("--");
  const afterSeparator = separator >= 0 ? process.argv.slice(separator + 1) : [];
  const operands = [dir, ...rest];
  const before = operands.slice(0, operands.length - afterSeparator.length);
  if (before.length > 1) {
    throw new LitmusError("BAD_INPUT", `one project directory, then the command after --: got ${before.join(" ")}`);
  }
  const command =
    afterSeparator.length === 0
      ? undefined
      : afterSeparator.length === 1
        ? afterSeparator[0]
        : afterSeparator.map(shellWord).join(" ");
  return [before[0] ?? ".", command];
}

async function testCommand(dir: string, command: string | undefined, options: TestCommandOptions): Promise<number> {
  const streaming = !options.json;
  const { runProjectTests } = await import("../check/index.ts");
  const report = await runProjectTests({
    dir,
    ...(command ? { command } : {}),
    timeoutMs: parseDuration(options.timeout),
    memoryBytes: parseBytes(options.memory),
    ...(streaming && {
      onStdout: (text: string) => process.stdout.write(text),
      onStderr: (text: string) => process.stderr.write(text),
    }),
  });
  if (options.json) writeJson(report);
  else process.stderr.write(renderSummary(report));
  return report.exitCode === 0 && !report.timedOut ? 0 : 1;
}

function renderSummary(report: ProjectTestReport): string {
  const lines = [""];
  const outcome = report.timedOut ? "timed out" : `exit ${report.exitCode}`;
  const { results } = report;
  const counts = results
    ? `${results.passed} passed, ${results.failed} failed${results.skipped ? `, ${results.skipped} skipped` : ""}`
    : "no counts (output in a format litmus does not read)";
  lines.push(
    `litmus test: ${report.command} in ${report.dir} (sandboxed): ${counts}, ${outcome}, ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  for (const failure of results?.failures ?? [])
    lines.push(`  FAILED ${failure.name}${failure.message ? ` - ${failure.message}` : ""}`);
  if (report.truncated) {
    lines.push("note: the output passed the sandbox's output limit and was cut: the counts may be incomplete");
  }
  for (const missing of report.workspace.missing) {
    const name = basename(missing);
    lines.push(
      `note: ${name} was left out: the sandbox's user cannot read ${join(report.dir, name)} (make it and the directories above it readable by others)`,
    );
  }
  return `${lines.join("\n")}\n`;
}
