import { availableParallelism } from "node:os";
import { forEachConcurrently } from "../../concurrency.ts";
import { LitmusError } from "../../errors.ts";
import { readInputFile } from "../../read-input.ts";
import { type Language, languageOfFile } from "../../sandbox/index.ts";
import type { Mutant } from "./mutant.ts";
import { chooseMutants } from "./mutants.ts";
import { runSuite, type SuiteFiles, type SuiteRun } from "./suite.ts";

export interface ValidateTestsOptions {
  testsPath: string;
  implPath: string;
  /** Mutants to run at most (a seeded sample when the implementation has more sites); 0 runs none. Default 25. */
  mutants?: number;
  seed?: number;
  /** Limit of the reference run; a mutant gets 10 times the reference's time, at least 2 s, at most this. */
  timeoutMs?: number;
  /** Mutants run at once, each in its own sandbox (default: the cores). */
  jobs?: number;
  signal?: AbortSignal;
  /** Called once the mutants are known, then after each mutant ran. */
  onProgress?: (done: number, total: number) => void;
}

/** A test of the file, judged. */
export interface TestVerdict {
  name: string;
  line: number | null;
  /** "failed": the test is wrong (a correct implementation fails it), or the implementation is. */
  reference: "passed" | "failed";
  message?: string;
  /** Mutants this test caught (it passed on the reference and failed on the mutant). */
  kills: number;
}

export interface MutantVerdict extends Omit<Mutant, "source"> {
  /** "killed": a test caught it; "survived": every test passed; "timeout"/"broken": it hung or would not load. */
  status: "killed" | "survived" | "timeout" | "broken";
  killedBy: string[];
}

export interface TestValidation {
  language: Language;
  tests: TestVerdict[];
  /** Tests that fail on the reference implementation: wrong tests (or a wrong reference). */
  wrongTests: string[];
  /** Tests that pass on the reference but caught no mutant: they check nothing the mutants changed. */
  weakTests: string[];
  /** Every mutation site found; `mutants` are the ones run. */
  mutantSites: number;
  mutants: MutantVerdict[];
  /** Share of the mutants run that were detected (killed, hung or broken); null when none ran. */
  mutationScore: number | null;
  /** The suite could not run on the reference at all. */
  broken?: string;
  durationMs: number;
}

/** The languages test files can be in. */
export type TestLanguage = Exclude<Language, "bash">;

/**
 * Judges a test file by execution: on the reference implementation every test must pass (a test that fails is
 * reported as wrong), and on mutants of it (operators and constants changed) the tests should fail (the
 * mutation score; a test that catches nothing is reported as weak).
 */
export async function validateTests(options: ValidateTestsOptions): Promise<TestValidation> {
  const language = languageOf(options.implPath);
  const files: SuiteFiles = {
    language,
    tests: { name: options.testsPath, source: await readInputFile(options.testsPath, "tests") },
    impl: { name: options.implPath, source: await readInputFile(options.implPath, "implementation") },
  };
  return validateSuite(files, options);
}

/** validateTests on sources in memory: `files` name the tests and the implementation as they import each other. */
export async function validateSuite(
  files: SuiteFiles,
  options: Omit<ValidateTestsOptions, "testsPath" | "implPath">,
): Promise<TestValidation> {
  const started = performance.now();
  const { language } = files;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const signal = options.signal ? { signal: options.signal } : {};
  const reference = await runSuite(files, { timeoutMs, ...signal });
  const passing = new Set(reference.tests.filter((test) => test.passed).map((test) => test.name));
  const runMutants = !reference.broken && passing.size > 0;
  const { sites, mutants: chosen } = await chooseMutants(files.impl.name, files.impl.source, language, {
    count: runMutants ? (options.mutants ?? 25) : 0,
    seed: options.seed ?? 1,
    ...signal,
  });
  const mutantTimeoutMs = Math.min(timeoutMs, Math.max(2_000, Math.ceil(reference.durationMs * 10)));
  const verdicts: MutantVerdict[] = new Array(chosen.length);
  let done = 0;
  options.onProgress?.(0, chosen.length);
  await forEachConcurrently([...chosen.keys()], options.jobs ?? availableParallelism(), async (index) => {
    const mutant = chosen[index] as Mutant;
    const run = await runSuite(
      { ...files, impl: { ...files.impl, source: mutant.source } },
      { timeoutMs: mutantTimeoutMs, ...signal },
    );
    verdicts[index] = verdictOf(mutant, run, passing);
    options.onProgress?.(++done, chosen.length);
  });
  const kills = new Map<string, number>();
  for (const verdict of verdicts) for (const name of verdict.killedBy) kills.set(name, (kills.get(name) ?? 0) + 1);
  const tests = reference.tests.map(
    (test): TestVerdict => ({
      name: test.name,
      line: test.line,
      reference: test.passed ? "passed" : "failed",
      ...(test.message ? { message: test.message } : {}),
      kills: kills.get(test.name) ?? 0,
    }),
  );
  const detected = verdicts.filter((verdict) => verdict.status !== "survived").length;
  return {
    language,
    tests,
    wrongTests: tests.filter((test) => test.reference === "failed").map((test) => test.name),
    weakTests:
      verdicts.length === 0
        ? []
        : tests.filter((test) => test.reference === "passed" && test.kills === 0).map((test) => test.name),
    mutantSites: sites,
    mutants: verdicts,
    mutationScore: verdicts.length === 0 ? null : detected / verdicts.length,
    ...(reference.broken ? { broken: reference.broken } : {}),
    durationMs: performance.now() - started,
  };
}

function verdictOf(mutant: Mutant, run: SuiteRun, passing: Set<string>): MutantVerdict {
  const { source: _source, ...where } = mutant;
  if (run.timedOut) return { ...where, status: "timeout", killedBy: [] };
  if (run.broken) return { ...where, status: "broken", killedBy: [] };
  // Only a test that passes on the reference can catch a mutant: a wrong test fails on everything.
  const killedBy = run.tests.filter((test) => !test.passed && passing.has(test.name)).map((test) => test.name);
  return { ...where, status: killedBy.length > 0 ? "killed" : "survived", killedBy };
}

/** The language of a source file, from its extension; BAD_INPUT for one litmus cannot test. */
export function languageOf(path: string): TestLanguage {
  const language = languageOfFile(path);
  if (!language || language === "bash") {
    throw new LitmusError(
      "BAD_INPUT",
      `${path}: cannot tell the language; use a .py, .js, .mjs, .cjs, .ts or .mts file`,
    );
  }
  return language;
}
