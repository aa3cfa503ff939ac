export { placeOf } from "./docs/cell-origins.ts";
export {
  type CheckDocsOptions,
  type CheckDocsReport,
  checkDocs,
  type DocumentReport,
  readSnippets,
} from "./docs/check-docs.ts";
export { type DocsConfig, loadDocsConfig } from "./docs/config.ts";
export { DIRECTIVE_WORDS, type Directives } from "./docs/directives.ts";
export { checkDocsToJUnit } from "./docs/junit.ts";
export { markdownSnippets } from "./docs/markdown.ts";
export { type DocumentResult, runDocument, type SnippetFailure, type SnippetResult } from "./docs/run-document.ts";
export { FENCE_NAMES, type Snippet, type SnippetDocument } from "./docs/snippet.ts";
export type { TestRunner } from "./project/detect-runner.ts";
export type { TestCounts } from "./project/read-results.ts";
export { type ProjectTestOptions, type ProjectTestReport, runProjectTests } from "./project/run-project-tests.ts";
export { shellWord } from "./shell-word.ts";
export {
  type CandidateReport,
  type GeneratedTests,
  type GenerateTestsEvent,
  type GenerateTestsOptions,
  generateTests,
  testFileName,
} from "./tests/generate-tests.ts";
export type { Mutant } from "./tests/mutant.ts";
export { chooseMutants } from "./tests/mutants.ts";
export { runSuite, type SuiteFiles, type SuiteRun, type TestOutcome } from "./tests/suite.ts";
export {
  type MutantVerdict,
  type TestValidation,
  type TestVerdict,
  type ValidateTestsOptions,
  validateTests,
} from "./tests/validate-tests.ts";
