import { basename, extname } from "node:path";
import { extractCode } from "../../loop/index.ts";
import { generate, type ResponseCache, type TextModel } from "../../models/index.ts";
import { readInputFile } from "../../read-input.ts";
import type { SuiteFiles } from "./suite.ts";
import { joinUnits, type TestUnit, testUnitsOf } from "./test-units.ts";
import { languageOf, type TestLanguage, type TestValidation, validateSuite } from "./validate-tests.ts";

export interface GenerateTestsOptions {
  /** The code to write tests for; taken as correct. */
  codePath: string;
  model: TextModel;
  /** Test files drawn from the model (the first greedy, the others sampled). Default 4. */
  samples?: number;
  maxTokens?: number;
  /** Of the samples after the first. Default 0.8. */
  temperature?: number;
  seed?: number;
  /** Mutants each candidate is judged on. Default 25. */
  mutants?: number;
  cache?: ResponseCache;
  modelTimeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: GenerateTestsEvent) => void;
}

export type GenerateTestsEvent =
  | { type: "generating"; sample: number; samples: number }
  | { type: "judged"; sample: number; candidate: CandidateReport };

/** One test file the model wrote, and what was kept of it. */
export interface CandidateReport {
  sample: number;
  /** Tests found in it (its cut-off tail and `__main__` block dropped, assert-only functions split). */
  tests: number;
  /** Tests that failed on the code (all of them when the file could not run). */
  wrong: number;
  /** Tests that passed on the code but caught no mutant. */
  weak: number;
  /** Tests kept: they pass on the code and catch at least one mutant (or no mutant could run). */
  kept: number;
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null };
}

export interface GeneratedTests {
  language: TestLanguage;
  /** The kept tests as one file, with what they need (imports, helpers); null when no test was good. */
  source: string | null;
  /** The kept file judged again, as a whole. */
  validation: TestValidation | null;
  candidates: CandidateReport[];
}

/**
 * Has a model write tests for correct code, and keeps only the good ones: each candidate file is split into
 * units (a test, an import, a helper), judged by execution (`validateSuite`: on the code, then on its mutants),
 * and only the units whose tests pass and catch a mutant are kept, from every sample, once each.
 */
export async function generateTests(options: GenerateTestsOptions): Promise<GeneratedTests> {
  const language = languageOf(options.codePath);
  const code = await readInputFile(options.codePath, "code");
  const implName = basename(options.codePath);
  const testsName = testFileName(implName, language);
  const samples = options.samples ?? 4;
  const candidates: CandidateReport[] = [];
  const kept: TestUnit[] = [];
  /** Each sample's good units on their own: the fallback when merging samples breaks something. */
  const goodBySample: TestUnit[][] = [];
  const signal = options.signal ? { signal: options.signal } : {};
  for (let sample = 1; sample <= samples; sample++) {
    options.onEvent?.({ type: "generating", sample, samples });
    const prompt = testPrompt(options.model, language, implName, testsName, code);
    const generation = await generate(
      options.model,
      {
        ...prompt.request,
        maxOutputTokens: options.maxTokens ?? 512,
        temperature: sample === 1 ? 0 : (options.temperature ?? 0.8),
        seed: (options.seed ?? 1) + sample - 1,
      },
      {
        ...signal,
        ...(options.cache ? { cache: options.cache } : {}),
        ...(options.modelTimeoutMs ? { timeoutMs: options.modelTimeoutMs } : {}),
      },
    );
    const written = prompt.completion
      ? `${prompt.completion}${generation.text}`
      : (extractCode(generation.text, { language, entryPoint: null }) ?? generation.text);
    const units = await testUnitsOf(written, language, options.signal);
    const judged = await judgeUnits(
      units,
      { language, tests: { name: testsName, source: "" }, impl: { name: implName, source: code } },
      options,
    );
    goodBySample.push(judged.good);
    // Once each: by name where a unit declares one (two samples' helpers named alike would clash), else by text.
    for (const unit of judged.good) {
      const key = declaredName(unit.source) ?? unit.source;
      if (!kept.some((existing) => (declaredName(existing.source) ?? existing.source) === key)) kept.push(unit);
    }
    const candidate: CandidateReport = {
      sample,
      tests: units.filter((unit) => unit.isTest).length,
      wrong: judged.wrongUnits,
      weak: judged.weakUnits,
      kept: judged.good.filter((unit) => unit.isTest).length,
      usage: { ...generation.usage, costUsd: generation.costUsd },
    };
    candidates.push(candidate);
    options.onEvent?.({ type: "judged", sample, candidate });
  }
  const files = { language, tests: { name: testsName, source: "" }, impl: { name: implName, source: code } };
  const judgeWhole = async (units: TestUnit[]) => {
    // Imports and helpers first, as a file would have them.
    const { source } = joinUnits([...units.filter((unit) => !unit.isTest), ...units.filter((unit) => unit.isTest)]);
    const validation = await validateSuite(
      { ...files, tests: { ...files.tests, source } },
      { ...(options.mutants === undefined ? {} : { mutants: options.mutants }), ...signal },
    );
    return { source, validation };
  };
  const sound = (whole: { validation: TestValidation }) =>
    !whole.validation.broken && whole.validation.wrongTests.length === 0 && whole.validation.tests.length > 0;
  if (kept.some((unit) => unit.isTest)) {
    const merged = await judgeWhole(kept);
    if (sound(merged)) return { language, ...merged, candidates };
  }
  // The merged file did not hold together: the best single sample's good tests, if they do.
  const best = [...goodBySample].sort((a, b) => testCount(b) - testCount(a))[0] ?? [];
  if (testCount(best) > 0) {
    const alone = await judgeWhole(best);
    if (sound(alone)) return { language, ...alone, candidates };
  }
  return { language, source: null, validation: null, candidates };
}

function testCount(units: TestUnit[]): number {
  return units.filter((unit) => unit.isTest).length;
}

/** The name a unit declares (a function, class, or assigned variable), if it declares one. */
function declaredName(source: string): string | undefined {
  const match =
    /^(?:export\s+)?(?:async\s+)?(?:def|function\*?|class)\s+([\w$]+)/.exec(source) ??
    /^(?:export\s+)?(?:const|let|var)\s+([\w$]+)/.exec(source) ??
    /^([A-Za-z_]\w*)\s*(?::[^=\n]+)?=(?!=)/.exec(source);
  return match?.[1];
}

/**
 * The units worth keeping: every unit that is not a test (until proven broken) and every test that passed on
 * the code and caught a mutant. A unit goes when any test in it is wrong or weak.
 */
async function judgeUnits(
  units: TestUnit[],
  files: SuiteFiles,
  options: GenerateTestsOptions,
): Promise<{ good: TestUnit[]; validation: TestValidation | null; wrongUnits: number; weakUnits: number }> {
  if (!units.some((unit) => unit.isTest)) return { good: [], validation: null, wrongUnits: 0, weakUnits: 0 };
  const { source, ranges } = joinUnits(units);
  const validation = await validateSuite(
    { ...files, tests: { ...files.tests, source } },
    {
      ...(options.mutants === undefined ? {} : { mutants: options.mutants }),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  const testUnits = units.filter((unit) => unit.isTest).length;
  if (validation.broken) return { good: [], validation, wrongUnits: testUnits, weakUnits: 0 };
  const unitOf = (test: { name: string; line: number | null }): number =>
    files.language === "python"
      ? ranges.findIndex((range) => test.line !== null && range.start <= test.line && test.line <= range.end)
      : units.findIndex(
          (unit) => unit.title !== undefined && (test.name === unit.title || test.name.startsWith(`${unit.title} > `)),
        );
  const wrong = new Set(validation.tests.filter((test) => validation.wrongTests.includes(test.name)).map(unitOf));
  const weak = new Set(validation.tests.filter((test) => validation.weakTests.includes(test.name)).map(unitOf));
  const judged = new Set(validation.tests.map(unitOf));
  const good = units.filter(
    (unit, index) => !wrong.has(index) && !weak.has(index) && (!unit.isTest || judged.has(index)),
  );
  const tests = (set: Set<number>) => [...set].filter((index) => units[index]?.isTest).length;
  return {
    good,
    validation,
    wrongUnits: tests(wrong),
    weakUnits: tests(new Set([...weak].filter((index) => !wrong.has(index)))),
  };
}

/** Where a test file for `implName` goes: test_calc.py, calc.test.mjs, calc.test.ts. */
export function testFileName(implName: string, language: TestLanguage): string {
  const extension = extname(implName);
  const stem = implName.slice(0, -extension.length);
  return language === "python" ? `test_${stem}.py` : `${stem}.test${extension}`;
}

/**
 * The request for a test file. A completion model continues a file that starts the tests (the code, then the
 * test file's imports and the start of a first test: `completion` is what the answer continues); a chat model
 * is asked in words.
 */
function testPrompt(
  model: TextModel,
  language: TestLanguage,
  implName: string,
  testsName: string,
  code: string,
): { request: { prompt: string; system?: string; stopSequences?: string[] }; completion?: string } {
  const names = definedNames(code, language);
  const comment = language === "python" ? "#" : "//";
  const imports =
    language === "python"
      ? `from ${implName.replace(/\.py$/, "")} import ${names.join(", ") || "*"}\n`
      : `import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport ${names.length > 0 ? `{ ${names.join(", ")} }` : "* as code"} from "./${implName}";\n`;
  if (model.promptStyle === "completion") {
    const completion = `${imports}\n\n${language === "python" ? "def test_" : 'test("'}`;
    return {
      request: {
        prompt: `${comment} file: ${implName}\n${code.trimEnd()}\n\n\n${comment} file: ${testsName}\n${completion}`,
        stopSequences: [`\n${comment} file:`],
      },
      completion,
    };
  }
  const framework = language === "python" ? "pytest" : "node:test (with node:assert/strict)";
  return {
    request: {
      system: "You write unit tests that pass on correct code and fail on broken code. Answer with one code block.",
      prompt:
        `Write ${framework} tests for the code below, from the file \`${implName}\`. Start the test file with:\n\n${imports}\n` +
        "The code is correct: every test must pass on it. Check exact results, edge cases included, so that a changed " +
        `operator or constant would make a test fail.\n\n\`\`\`${language}\n${code.trimEnd()}\n\`\`\``,
    },
  };
}

/** The top-level functions and classes the code defines (Python) or exports (JavaScript, TypeScript). */
function definedNames(code: string, language: TestLanguage): string[] {
  const pattern =
    language === "python"
      ? /^(?:async\s+)?(?:def|class)\s+([A-Za-z]\w*)/gm
      : /^export\s+(?:async\s+)?(?:function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;
  return [...new Set([...code.matchAll(pattern)].map((match) => match[1] as string))];
}
