import { type Command, InvalidArgumentError } from "commander";
import type { TestValidation } from "../check/index.ts";
import { parseDuration } from "../sandbox/index.ts";
import { nonNegativeInteger, positiveInteger, writeJson } from "./options.ts";
import { PhaseBars } from "./progress-bar.ts";

interface ValidateCommandOptions {
  tests: string;
  impl: string;
  mutants: number;
  seed: number;
  timeout: string;
  jobs?: number;
  minScore?: number;
  json?: boolean;
}

export function registerTestsCommand(program: Command): void {
  const tests = program.command("tests").description("Judge test files by running them");
  tests
    .command("validate")
    .description("Check a test file: all must pass on a correct implementation and fail on mutants of it")
    .requiredOption("--tests <file>", "the test file (.py: asserts, test_* functions, pytest; .js/.ts: node:test)")
    .requiredOption("--impl <file>", "a correct implementation the tests import or use")
    .option(
      "--mutants <n>",
      "mutants to run at most (a seeded sample of the sites); 0 runs none",
      nonNegativeInteger,
      25,
    )
    .option("--seed <n>", "seed of the mutant sample", nonNegativeInteger, 1)
    .option("-t, --timeout <duration>", "limit of the run on the implementation (mutants get 10x its time)", "30s")
    .option("-j, --jobs <n>", "mutants run at once, each in its own sandbox (default: the cores)", positiveInteger)
    .option("--min-score <fraction>", "exit 1 when the mutation score is below this (0 to 1)", fraction)
    .option("--json", "print one JSON document on stdout")
    .action(async (options: ValidateCommandOptions) => {
      process.exitCode = await validateCommand(options);
    });
}

async function validateCommand(options: ValidateCommandOptions): Promise<number> {
  const { validateTests } = await import("../check/index.ts");
  let validation: TestValidation;
  {
    using bars = new PhaseBars();
    validation = await validateTests({
      testsPath: options.tests,
      implPath: options.impl,
      mutants: options.mutants,
      seed: options.seed,
      timeoutMs: parseDuration(options.timeout),
      ...(options.jobs ? { jobs: options.jobs } : {}),
      onProgress: (done, total) => {
        if (total > 0) bars.show("mutants", total).update(done);
      },
    });
  }
  if (options.json) writeJson(validation);
  else process.stdout.write(renderValidation(validation, options));
  const belowScore =
    options.minScore !== undefined && validation.mutationScore !== null && validation.mutationScore < options.minScore;
  return validation.broken || validation.wrongTests.length > 0 || belowScore ? 1 : 0;
}

function renderValidation(validation: TestValidation, options: ValidateCommandOptions): string {
  const lines = [`${options.tests} against ${options.impl} (${validation.language})`];
  if (validation.broken) {
    lines.push(`  the tests cannot run: ${validation.broken}`);
    return `${lines.join("\n")}\n`;
  }
  const failed = validation.tests.filter((test) => test.reference === "failed");
  lines.push(`  on the implementation: ${validation.tests.length - failed.length} passed, ${failed.length} failed`);
  for (const test of failed) lines.push(`  WRONG ${test.name}${at(test.line)}: ${test.message ?? "failed"}`);
  const { mutants } = validation;
  if (mutants.length > 0) {
    const count = (status: string) => mutants.filter((mutant) => mutant.status === status).length;
    lines.push(
      `  mutants: ${mutants.length} of ${validation.mutantSites} sites: ${count("killed")} killed, ${count("timeout")} hung, ` +
        `${count("broken")} broken, ${count("survived")} survived`,
    );
    for (const mutant of mutants.filter((item) => item.status === "survived")) {
      lines.push(`  SURVIVED line ${mutant.line}: ${mutant.description}`);
    }
    for (const name of validation.weakTests) {
      const test = validation.tests.find((item) => item.name === name);
      lines.push(`  WEAK ${name}${at(test?.line ?? null)}: caught no mutant`);
    }
  } else if (validation.mutantSites === 0) lines.push("  mutants: the implementation has no mutation sites");
  const score =
    validation.mutationScore === null
      ? "no mutants run"
      : `mutation score ${(validation.mutationScore * 100).toFixed(1)}%`;
  lines.push(
    "",
    `tests validate: ${plural(validation.wrongTests.length, "wrong test")}, ${plural(validation.weakTests.length, "weak test")}, ${score}`,
  );
  return `${lines.join("\n")}\n`;
}

function at(line: number | null): string {
  return line === null ? "" : ` (line ${line})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function fraction(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
    throw new InvalidArgumentError(`expected a fraction from 0 to 1, got "${value}"`);
  }
  return parsed;
}
