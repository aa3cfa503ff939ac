import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { type GeneratedTests, generateTests, testFileName } from "../check/index.ts";
import { LitmusError } from "../errors.ts";
import { disposeLocalModels, ResponseCache, responseCacheDir } from "../models/index.ts";
import { type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { writeJson } from "./options.ts";

/** What `litmus solve --generate tests` reads of solve's options. */
export interface SolveTestsOptions extends ModelCommandOptions {
  code?: string;
  samples: number;
  maxTokens: number;
  temperature?: number;
  seed: number;
  mutants: number;
  cache?: boolean;
  out?: string;
  json?: boolean;
}

/**
 * `litmus solve --generate tests --code FILE`: a model writes test files for the code, and only the tests that
 * pass on it and catch a mutant of it are kept. Prints the kept file (or writes it into --out); exit 1 when
 * no test was good.
 */
export async function solveTestsCommand(options: SolveTestsOptions): Promise<number> {
  if (!options.code) {
    throw new LitmusError("BAD_INPUT", "--generate tests needs --code FILE: the correct code to write tests for");
  }
  const { model, modelTimeoutMs } = await openCommandModel(options);
  try {
    const progress = (line: string) => process.stderr.write(`${line}\n`);
    progress(`model ${model.spec}: writing tests for ${options.code}, ${options.samples} samples`);
    const generated = await generateTests({
      codePath: options.code,
      model,
      samples: options.samples,
      maxTokens: options.maxTokens,
      seed: options.seed,
      mutants: options.mutants,
      modelTimeoutMs,
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.cache ? { cache: new ResponseCache(responseCacheDir()) } : {}),
      onEvent: (event) => {
        if (event.type === "generating") progress(`sample ${event.sample}/${event.samples}: generating…`);
        else {
          const { candidate } = event;
          progress(
            `  ${candidate.tests} tests: ${candidate.wrong} wrong, ${candidate.weak} weak, ${candidate.kept} kept`,
          );
        }
      },
    });
    const written = options.out && generated.source ? await writeTests(options.out, options.code, generated) : null;
    if (options.json) writeJson({ ...generated, ...(written ? { written } : {}) });
    else if (!written && generated.source) process.stdout.write(generated.source);
    progress(summaryOf(generated, written));
    return generated.source ? 0 : 1;
  } finally {
    await disposeLocalModels();
  }
}

async function writeTests(directory: string, codePath: string, generated: GeneratedTests): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = join(directory, testFileName(basename(codePath), generated.language));
  // Tests someone already has are not overwritten by ones a model wrote.
  if (existsSync(file)) throw new LitmusError("BAD_INPUT", `${file} exists: remove it, or choose another --out`);
  await writeFile(file, generated.source ?? "");
  return file;
}

function summaryOf(generated: GeneratedTests, written: string | null): string {
  if (!generated.source || !generated.validation)
    return "no good test: every test the model wrote was wrong or caught no mutant";
  const { validation } = generated;
  const score =
    validation.mutationScore === null ? "no mutants" : `mutation score ${(validation.mutationScore * 100).toFixed(1)}%`;
  const passing = validation.tests.filter((test) => test.reference === "passed").length;
  return `kept ${passing} tests that pass on the code, ${score}${written ? `; written to ${written}` : ""}`;
}
