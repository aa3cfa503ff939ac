import junitModule, { type Builder } from "junit-report-builder";
import { placeOf } from "./cell-origins.ts";
import type { CheckDocsReport } from "./check-docs.ts";
import type { SnippetFailure } from "./run-document.ts";

// The package is CommonJS (module.exports is the builder) but its types declare an ES default export.
const junit = junitModule as unknown as Builder;

/**
 * The report as JUnit XML, the format CI systems read: a test suite per document, a test case per snippet
 * ("README.md:42 (python)"); an unreadable document is one test case with an error.
 */
export function checkDocsToJUnit(report: CheckDocsReport): string {
  const builder = junit.newBuilder();
  for (const document of report.documents) {
    const suite = builder.testSuite().name(document.path).time(seconds(document.durationMs));
    if (document.error !== undefined) {
      suite
        .testCase()
        .className(document.path)
        .name(document.path)
        .file(document.path)
        .error(document.error, "BadInput");
      continue;
    }
    for (const snippet of document.snippets) {
      const name = `${placeOf(document.path, snippet.position)} (${snippet.language})`;
      const testCase = suite
        .testCase()
        .className(document.path)
        .name(name)
        .file(document.path)
        .time(snippet.durationMs / 1000);
      if (snippet.status === "skipped") testCase.skipped();
      if (snippet.failure) testCase.failure(snippet.failure.message).stacktrace(failureText(snippet.failure));
      if (snippet.stdout) testCase.standardOutput(snippet.stdout);
      if (snippet.stderr) testCase.standardError(snippet.stderr);
    }
  }
  return builder.build();
}

function failureText(failure: SnippetFailure): string {
  return [failure.source, failure.traceback, failure.diff].filter(Boolean).join("\n\n");
}

/** Milliseconds as seconds, to the millisecond. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
