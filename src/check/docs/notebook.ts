import { z } from "zod";
import { LitmusError } from "../../errors.ts";
import { type Directives, mergeDirectives, parseDirectiveComment } from "./directives.ts";
import { runnableFence, type Snippet, type SnippetDocument } from "./snippet.ts";

const Notebook = z.object({
  cells: z.array(
    z.object({
      cell_type: z.string(),
      source: z.union([z.string(), z.array(z.string())]),
      metadata: z
        .object({ tags: z.array(z.string()).optional() })
        .loose()
        .optional(),
    }),
  ),
  metadata: z
    .object({
      kernelspec: z.object({ language: z.string().optional() }).loose().optional(),
      language_info: z.object({ name: z.string().optional() }).loose().optional(),
    })
    .loose()
    .optional(),
});

/** Cell tags read as directives: litmus's own words, and the tags Jupyter tools already use for the same things. */
const TAG_DIRECTIVES: Record<string, Directives> = {
  skip: { skip: "tagged skip" },
  "litmus-skip": { skip: "tagged litmus-skip" },
  "skip-execution": { skip: "tagged skip-execution" },
  "raises-exception": { expectError: {} },
  "litmus-expect-error": { expectError: {} },
};

/** `# litmus: skip` as a cell's first line. */
const CELL_DIRECTIVE = /^\s*(?:#|\/\/)\s*litmus:(.*)$/;

/**
 * The code cells of a Jupyter notebook (nbformat 4), in order, in the notebook's kernel language. Directives
 * come from cell tags or a `# litmus: ...` first line. IPython magics cannot run outside IPython: a cell
 * magic (`%%`) skips its cell, a line magic (`%`) fails with a clear message, and `!command` runs the
 * command through the shell.
 */
export function notebookSnippets(path: string, source: string): SnippetDocument {
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `${path} is not a notebook: not JSON (${(error as Error).message})`);
  }
  const parsed = Notebook.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LitmusError(
      "BAD_INPUT",
      `${path} is not an nbformat 4 notebook: ${issue?.path.join(".") || "document"}: ${issue?.message}`,
    );
  }
  const notebook = parsed.data;
  const kernelLanguage = notebook.metadata?.kernelspec?.language ?? notebook.metadata?.language_info?.name ?? "python";
  const runnable = runnableFence(kernelLanguage, "");
  if (!runnable) {
    throw new LitmusError(
      "BAD_INPUT",
      `${path}: notebooks in ${kernelLanguage} cannot run here; litmus runs python, javascript, typescript and bash`,
    );
  }
  const snippets: Snippet[] = [];
  let skipRestFrom: number | undefined;
  notebook.cells.forEach((cell, at) => {
    if (cell.cell_type !== "code") return;
    const number = at + 1;
    const text = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    let directives: Directives = {};
    for (const tag of cell.metadata?.tags ?? []) directives = mergeDirectives(directives, TAG_DIRECTIVES[tag] ?? {});
    const firstLine = CELL_DIRECTIVE.exec(text.split("\n", 1)[0] ?? "");
    if (firstLine)
      directives = mergeDirectives(directives, parseDirectiveComment(firstLine[1] ?? "", `${path} cell ${number}`));
    if (directives.skipRest) skipRestFrom ??= number;
    if (skipRestFrom !== undefined) directives.skip ??= `skip-rest at cell ${skipRestFrom}`;
    if (text.trimStart().startsWith("%%")) directives.skip ??= "an IPython cell magic";
    if (text.trim() === "") return;
    const code = runnable.language === "python" ? withoutIPythonSyntax(text) : text;
    snippets.push({ index: snippets.length + 1, ...runnable, code, position: { cell: number, line: 1 }, directives });
  });
  return { path, format: "notebook", snippets };
}

/**
 * Python for IPython's shell escapes and line magics, line for line (so error lines stay right): `!cmd` runs
 * `cmd` in a shell and fails when it fails; a `%magic` raises, naming the magic.
 */
function withoutIPythonSyntax(code: string): string {
  return code
    .split("\n")
    .map((line) => {
      const shell = /^(\s*)!(.*)$/.exec(line);
      if (shell) return `${shell[1]}__import__("subprocess").run(${JSON.stringify(shell[2])}, shell=True, check=True)`;
      const magic = /^(\s*)%(\w+)/.exec(line);
      if (magic)
        return `${magic[1]}raise RuntimeError(${JSON.stringify(`IPython magic %${magic[2]} cannot run outside IPython; tag the cell skip`)})`;
      return line;
    })
    .join("\n");
}
