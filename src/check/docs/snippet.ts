import type { Language } from "../../sandbox/index.ts";
import type { Directives } from "./directives.ts";

/**
 * How a block runs: "code" as one cell; "doctest" as a `>>>` session whose outputs are checked like Python's
 * doctest; "console" as `$ command` lines, each run in turn with its printed output checked.
 */
export type SnippetKind = "code" | "doctest" | "console";

/** Where something is in a document: the line (1-based) in a Markdown file; the cell and its line in a notebook. */
export interface DocumentPosition {
  line: number;
  cell?: number;
}

/** One runnable block of a document, in document order. */
export interface Snippet {
  /** 1-based position among the document's snippets. */
  index: number;
  language: Language;
  kind: SnippetKind;
  code: string;
  /** Where the code's first line is. */
  position: DocumentPosition;
  directives: Directives;
  /** The stdout the block must print: the output block that follows it. */
  expectedOutput?: { text: string; position: DocumentPosition };
}

/** The snippets of one document, with its lines (to show the failing line of a snippet). */
export interface SnippetDocument {
  path: string;
  format: "markdown" | "mdx" | "notebook";
  snippets: Snippet[];
}

/** Fence languages that litmus runs, and how. Other fences (json, yaml, text, ...) are documentation only. */
const FENCE_LANGUAGES: Record<string, { language: Language; kind: SnippetKind }> = {
  python: { language: "python", kind: "code" },
  py: { language: "python", kind: "code" },
  python3: { language: "python", kind: "code" },
  pycon: { language: "python", kind: "doctest" },
  javascript: { language: "javascript", kind: "code" },
  js: { language: "javascript", kind: "code" },
  mjs: { language: "javascript", kind: "code" },
  typescript: { language: "typescript", kind: "code" },
  ts: { language: "typescript", kind: "code" },
  mts: { language: "typescript", kind: "code" },
  bash: { language: "bash", kind: "code" },
  sh: { language: "bash", kind: "code" },
  shell: { language: "bash", kind: "code" },
  console: { language: "bash", kind: "console" },
  "shell-session": { language: "bash", kind: "console" },
  "sh-session": { language: "bash", kind: "console" },
};

/** The names a fence may use, for documentation and errors. */
export const FENCE_NAMES = Object.keys(FENCE_LANGUAGES);

/**
 * How a fenced block with this info-string language runs, or undefined when litmus does not run it. A python
 * block that starts with `>>> ` is a doctest session; a shell block whose lines start with `$ ` is a console.
 */
export function runnableFence(
  lang: string | null | undefined,
  code: string,
): Pick<Snippet, "language" | "kind"> | undefined {
  const known = lang ? FENCE_LANGUAGES[lang.toLowerCase()] : undefined;
  if (!known) return undefined;
  const firstLine = code.trimStart().split("\n", 1)[0] ?? "";
  if (known.language === "python" && firstLine.startsWith(">>>")) return { language: "python", kind: "doctest" };
  if (known.language === "bash" && /^\$( |$)/.test(firstLine)) return { language: "bash", kind: "console" };
  return known;
}
