import { glob, stat } from "node:fs/promises";
import { basename, extname, isAbsolute, join, matchesGlob, relative, resolve } from "node:path";
import { LitmusError } from "../../errors.ts";
import { SKIPPED_DIRECTORIES } from "../skipped-directories.ts";

/** The document formats litmus checks, by file extension. */
const DOCUMENT_FORMATS = {
  ".md": "markdown",
  ".markdown": "markdown",
  ".mdx": "mdx",
  ".ipynb": "notebook",
} as const;

export type DocumentFormat = (typeof DOCUMENT_FORMATS)[keyof typeof DOCUMENT_FORMATS];

/** The format of a document path, or undefined when litmus does not read that kind of file. */
export function documentFormat(path: string): DocumentFormat | undefined {
  return DOCUMENT_FORMATS[extname(path).toLowerCase() as keyof typeof DOCUMENT_FORMATS];
}

/**
 * The documents that `paths` name, sorted and once each, relative to `cwd`: files as given, directories
 * searched for Markdown, MDX and notebooks, globs expanded. `exclude` globs (relative to `root`) drop files.
 * A path that names nothing is a BAD_INPUT error: a typo must not pass as "nothing failed".
 */
export async function findDocuments(
  paths: string[],
  options: { cwd: string; root?: string; exclude?: string[] },
): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths) {
    const matches = await expand(path, options.cwd);
    if (matches.length === 0) throw new LitmusError("BAD_INPUT", `${path}: no Markdown, MDX or notebook files there`);
    for (const match of matches) found.add(match);
  }
  const root = options.root ?? options.cwd;
  const excluded = (file: string) =>
    (options.exclude ?? []).some((pattern) => matchesGlob(relative(root, resolve(options.cwd, file)), pattern));
  return [...found].filter((file) => !excluded(file)).sort();
}

async function expand(path: string, cwd: string): Promise<string[]> {
  if (/[*?[{]/.test(path))
    return (await collect(glob(path, { cwd, exclude: neverSearched }))).filter((file) => documentFormat(file));
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new LitmusError("BAD_INPUT", `${path}: no such file or directory`);
  if (info.isFile()) {
    if (!documentFormat(path)) {
      throw new LitmusError("BAD_INPUT", `${path}: litmus checks ${Object.keys(DOCUMENT_FORMATS).join(", ")} files`);
    }
    return [path];
  }
  const patterns = Object.keys(DOCUMENT_FORMATS).map((extension) => join(path, `**/*${extension}`));
  return collect(glob(patterns, { cwd, exclude: neverSearched }));
}

function neverSearched(name: string): boolean {
  return SKIPPED_DIRECTORIES.includes(basename(name));
}

async function collect(files: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const file of files) all.push(file);
  return all;
}
