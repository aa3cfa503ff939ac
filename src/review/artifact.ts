import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReviewEvent, ReviewRecord } from "../store/index.ts";
import type { ReviewDocument } from "./review-document.ts";

const MAIN_FILE = { python: "main.py", javascript: "main.mjs", typescript: "main.ts" } as const;

/**
 * Writes the review's artifact, `DIR/review-ID.tar.gz`, holding one folder `review-ID/` with the approved code
 * (`main.py`, `main.mjs` or `main.ts`), a README.md, the packages it imports that are not in the standard
 * library (`requirements.txt` for Python, `dependencies.txt` for JavaScript), and metadata.json: the task,
 * the model, every draft, every decision, the result, timings and cost.
 */
export async function writeArtifact(
  review: ReviewRecord,
  document: ReviewDocument,
  events: ReviewEvent[],
  directory: string,
): Promise<{ path: string; bytes: number }> {
  const code = document.approved?.code ?? "";
  const { language } = document.task;
  const folder = `review-${review.id}`;
  const staging = await mkdtemp(join(tmpdir(), "litmus-artifact-"));
  try {
    await mkdir(join(staging, folder));
    const packages = importedPackages(code, language);
    const files: Record<string, string> = {
      [MAIN_FILE[language]]: code,
      "README.md": readmeOf(review, document, packages),
      [language === "python" ? "requirements.txt" : "dependencies.txt"]: packages.map((name) => `${name}\n`).join(""),
      "metadata.json": `${JSON.stringify(metadataOf(review, document, events), null, 2)}\n`,
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, folder, name), text);
    await mkdir(directory, { recursive: true });
    const path = join(directory, `${folder}.tar.gz`);
    // Loaded on use, like the other heavy parts of commands most runs never reach.
    const { create } = await import("tar");
    await create({ gzip: true, file: path, cwd: staging, portable: true }, [folder]);
    return { path, bytes: (await stat(path)).size };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function metadataOf(review: ReviewRecord, document: ReviewDocument, events: ReviewEvent[]): unknown {
  const usage = document.drafts.reduce(
    (total, draft) => ({
      inputTokens: total.inputTokens + draft.usage.inputTokens,
      outputTokens: total.outputTokens + draft.usage.outputTokens,
      costUsd: total.costUsd === null || draft.usage.costUsd === null ? null : total.costUsd + draft.usage.costUsd,
    }),
    { inputTokens: 0, outputTokens: 0, costUsd: 0 as number | null },
  );
  return {
    review: review.id,
    createdAt: review.createdAt,
    task: { ...document.task, hiddenTests: null, solution: null },
    model: review.model,
    drafts: document.drafts,
    approved: document.approved,
    decisions: events,
    result: document.result,
    usage,
  };
}

function readmeOf(review: ReviewRecord, document: ReviewDocument, packages: string[]): string {
  const approved = document.approved;
  const result = document.result;
  return [
    `# ${document.task.id}`,
    "",
    document.task.prompt.trim(),
    "",
    `Reviewed with litmus (review ${review.id}). Drafted by ${review.model} in ${document.drafts.length} draft(s);`,
    approved
      ? `${approved.edited ? "edited and approved" : "approved"} by ${approved.by} at ${approved.at}.`
      : "not approved.",
    result
      ? `Run in the litmus sandbox: ${result.diagnosis.kind === "ok" ? "passed" : `${result.diagnosis.kind}: ${result.diagnosis.message}`}.`
      : "",
    "",
    `Run it: \`${document.task.language === "python" ? "python3 main.py" : `node ${MAIN_FILE[document.task.language]}`}\`.`,
    packages.length > 0
      ? `It imports packages outside the standard library: ${packages.join(", ")}.`
      : "It needs nothing outside the standard library.",
    "",
  ].join("\n");
}

let pythonStandardLibrary: Set<string> | undefined;

/** Top-level packages the code imports that do not come with the language. */
function importedPackages(code: string, language: ReviewDocument["task"]["language"]): string[] {
  if (language === "python") {
    const names = [
      ...code.matchAll(/^\s*(?:from\s+([A-Za-z_][\w]*)[\w.]*\s+import\b|import\s+([A-Za-z_][\w., \t]*))/gm),
    ].flatMap((match) =>
      match[1] ? [match[1]] : (match[2] ?? "").split(",").map((part) => part.trim().split(/[.\s]/)[0] ?? ""),
    );
    const standard = pythonStandardLibraryNames();
    return [...new Set(names.filter((name) => name && !standard.has(name)))].sort();
  }
  const names = [...code.matchAll(/(?:from\s+|require\(\s*|import\s*\(\s*)["']([^"'.][^"']*)["']/g)].map((match) => {
    const specifier = match[1] ?? "";
    return specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] ?? "");
  });
  const builtins = new Set(builtinModules);
  return [...new Set(names.filter((name) => !name.startsWith("node:") && !builtins.has(name)))].sort();
}

/** The standard library's module names, asked of this machine's Python once (3.10+ lists them). */
function pythonStandardLibraryNames(): Set<string> {
  if (!pythonStandardLibrary) {
    try {
      const output = execFileSync(
        "python3",
        ["-I", "-c", "import sys; print('\\n'.join(sorted(sys.stdlib_module_names)))"],
        {
          encoding: "utf8",
          timeout: 10_000,
        },
      );
      pythonStandardLibrary = new Set(output.split("\n").filter(Boolean));
    } catch {
      pythonStandardLibrary = new Set([
        "__future__",
        "sys",
        "os",
        "re",
        "math",
        "json",
        "typing",
        "collections",
        "itertools",
        "functools",
      ]);
    }
  }
  return pythonStandardLibrary;
}
