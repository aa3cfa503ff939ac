import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { forEachConcurrently } from "../../concurrency.ts";
import { isLitmusError } from "../../errors.ts";
import type { DocsConfig } from "./config.ts";
import { documentFormat, findDocuments } from "./find-documents.ts";
import { markdownSnippets } from "./markdown.ts";
import { notebookSnippets } from "./notebook.ts";
import { type DocumentResult, runDocument } from "./run-document.ts";
import type { SnippetDocument } from "./snippet.ts";

export interface CheckDocsOptions {
  /** Files, directories or globs; none: the configuration's `include`. */
  paths: string[];
  cwd: string;
  config: DocsConfig;
  /** Documents checked at once, each in its own sandbox (default: the number of cores). */
  jobs?: number;
  signal?: AbortSignal;
  /** Called once the documents are found, then after each one is checked. */
  onStart?: (documents: number) => void;
  onDocument?: (result: DocumentReport) => void;
}

/** A document's result; `error` when it could not be read (bad JSON, an unknown directive), and then no snippets. */
export type DocumentReport = DocumentResult & { error?: string };

export interface CheckDocsReport {
  documents: DocumentReport[];
  summary: {
    documents: number;
    snippets: number;
    passed: number;
    failed: number;
    skipped: number;
    /** Documents that could not be read. */
    unreadable: number;
    durationMs: number;
  };
}

/** Checks every document `paths` name: each in its own sandbox, `jobs` at a time, reported in path order. */
export async function checkDocs(options: CheckDocsOptions): Promise<CheckDocsReport> {
  const started = performance.now();
  const { config } = options;
  const fromConfig = options.paths.length === 0;
  const cwd = fromConfig ? config.root : options.cwd;
  const paths = await findDocuments(fromConfig ? config.include : options.paths, {
    cwd,
    root: config.root,
    exclude: config.exclude,
  });
  options.onStart?.(paths.length);
  const reports = new Map<string, DocumentReport>();
  await forEachConcurrently(paths, options.jobs ?? availableParallelism(), async (path) => {
    const report = await checkDocument(path, cwd, options);
    reports.set(path, report);
    options.onDocument?.(report);
  });
  const documents = paths.map((path) => reports.get(path) as DocumentReport);
  const total = (field: "passed" | "failed" | "skipped") =>
    documents.reduce((sum, document) => sum + document[field], 0);
  return {
    documents,
    summary: {
      documents: documents.length,
      snippets: documents.reduce((sum, document) => sum + document.snippets.length, 0),
      passed: total("passed"),
      failed: total("failed"),
      skipped: total("skipped"),
      unreadable: documents.filter((document) => document.error !== undefined).length,
      durationMs: performance.now() - started,
    },
  };
}

async function checkDocument(path: string, cwd: string, options: CheckDocsOptions): Promise<DocumentReport> {
  const format = documentFormat(path) ?? "markdown";
  let document: SnippetDocument;
  try {
    document = await readSnippets(path, resolve(cwd, path));
  } catch (error) {
    if (!isLitmusError(error, "BAD_INPUT")) throw error;
    return { path, format, snippets: [], passed: 0, failed: 0, skipped: 0, durationMs: 0, error: error.message };
  }
  const { config } = options;
  return runDocument(document, {
    timeoutMs: config.timeoutMs,
    memoryBytes: config.memoryBytes,
    languages: config.languages,
    setup: config.setup,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** The snippets of the document at `absolute`, named `path` in what is reported. */
export async function readSnippets(path: string, absolute = path): Promise<SnippetDocument> {
  const source = (await readFile(absolute, "utf8")).replace(/\r\n?/g, "\n");
  const format = documentFormat(path);
  return format === "notebook" ? notebookSnippets(path, source) : markdownSnippets(path, source, format ?? "markdown");
}
