import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import type { CheckDocsReport, DocsConfig, DocumentReport, SnippetResult } from "../check/index.ts";
import { parseBytes, parseDuration, parseLanguage } from "../sandbox/index.ts";
import { list, positiveInteger, writeJson } from "./options.ts";
import { PhaseBars } from "./progress-bar.ts";

type Place = typeof import("../check/index.ts").placeOf;

interface CheckDocsCommandOptions {
  json?: boolean;
  junit?: string;
  jobs?: number;
  timeout?: string;
  memory?: string;
  lang?: string[];
  config?: string;
}

export function registerCheckCommand(program: Command): void {
  const check = program.command("check").description("Prove by running: the code in documentation");
  check
    .command("docs")
    .description("Run the code blocks of Markdown, MDX and notebooks in the sandbox; exit 1 if any fails")
    .argument("[paths...]", "files, directories or globs (default: checkDocs.include of the configuration, or .)")
    .option("--json", "print one JSON document on stdout")
    .option("--junit <file>", "also write a JUnit XML report to FILE (for CI systems)")
    .option(
      "-j, --jobs <n>",
      "documents checked at once, each in its own sandbox (default: the cores)",
      positiveInteger,
    )
    .option("-t, --timeout <duration>", "limit of each block unless it sets its own (default 10s)")
    .option("-m, --memory <size>", "memory of each document's sandbox (default 512M)")
    .option("--lang <languages>", "languages to run: python, javascript, typescript, bash (default: all)", list)
    .option("--config <file>", "configuration to use instead of package.json's or litmus.config.json's")
    .action(async (paths: string[], options: CheckDocsCommandOptions) => {
      process.exitCode = await checkDocsCommand(paths, options);
    });
}

async function checkDocsCommand(paths: string[], options: CheckDocsCommandOptions): Promise<number> {
  // Loaded on use, like every command's heavy parts: parsers and reporters would slow every other command's start.
  const { checkDocs, checkDocsToJUnit, loadDocsConfig, placeOf } = await import("../check/index.ts");
  const config = withOverrides(await loadDocsConfig(process.cwd(), options.config), options);
  let done = 0;
  let report: CheckDocsReport;
  {
    using bars = new PhaseBars();
    report = await checkDocs({
      paths,
      cwd: process.cwd(),
      config,
      ...(options.jobs ? { jobs: options.jobs } : {}),
      onStart: (documents) => {
        if (documents > 1) bars.show("check docs", documents);
      },
      onDocument: (document) => bars.shown?.update(++done, `${document.path}: ${counts(document)}`),
    });
  }
  if (options.junit) await writeFile(options.junit, checkDocsToJUnit(report));
  if (options.json) writeJson(report);
  else process.stdout.write(renderReport(report, placeOf));
  if (report.summary.unreadable > 0) return 2;
  return report.summary.failed > 0 ? 1 : 0;
}

/** The configuration with the command line's flags on top. */
function withOverrides(config: DocsConfig, options: CheckDocsCommandOptions): DocsConfig {
  return {
    ...config,
    ...(options.timeout ? { timeoutMs: parseDuration(options.timeout) } : {}),
    ...(options.memory ? { memoryBytes: parseBytes(options.memory) } : {}),
    ...(options.lang ? { languages: options.lang.map((language) => parseLanguage(language, "--lang language")) } : {}),
  };
}

/** The human report: a line per document, every failure in full, then the totals. */
function renderReport(report: CheckDocsReport, placeOf: Place): string {
  const lines: string[] = [];
  for (const document of report.documents) {
    const mark = document.error !== undefined || document.failed > 0 ? "✗" : "✓";
    lines.push(`${mark} ${document.path}: ${document.error ?? counts(document)}`);
    for (const snippet of document.snippets)
      if (snippet.failure) lines.push(...renderFailure(document, snippet, placeOf));
  }
  const { summary } = report;
  lines.push(
    "",
    `check docs: ${summary.documents} document${summary.documents === 1 ? "" : "s"}, ${summary.snippets} blocks: ` +
      `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped` +
      `${summary.unreadable > 0 ? `, ${summary.unreadable} unreadable` : ""} (${(summary.durationMs / 1000).toFixed(1)} s)`,
  );
  return `${lines.join("\n")}\n`;
}

function renderFailure(document: DocumentReport, snippet: SnippetResult, placeOf: Place): string[] {
  const failure = snippet.failure;
  if (!failure) return [];
  const where = placeOf(document.path, failure.position);
  const lines = [`  FAIL ${where} (${snippet.language} block ${snippet.index}): ${failure.message}`];
  if (failure.source !== undefined) lines.push(`    ${failure.position.line} | ${failure.source}`);
  for (const detail of [failure.traceback, failure.diff]) {
    if (detail) lines.push(...detail.split("\n").map((line) => `    ${line}`));
  }
  if (snippet.stderr.trim() && !failure.traceback) {
    lines.push(
      "    stderr:",
      ...snippet.stderr
        .trimEnd()
        .split("\n")
        .slice(-10)
        .map((line) => `      ${line}`),
    );
  }
  return lines;
}

function counts(document: DocumentReport): string {
  if (document.error !== undefined) return "unreadable";
  const parts = [`${document.passed} passed`];
  if (document.failed > 0) parts.push(`${document.failed} failed`);
  if (document.skipped > 0) parts.push(`${document.skipped} skipped`);
  return parts.join(", ");
}
