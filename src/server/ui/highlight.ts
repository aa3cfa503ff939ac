import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import hljs from "highlight.js/lib/common";

/** Code as highlighted HTML (highlight.js classes; the theme is in THEME_CSS). Escaped by highlight.js. */
export function highlightHtml(code: string, language: string): string {
  const known = hljs.getLanguage(language) ? language : "plaintext";
  return hljs.highlight(code, { language: known }).value;
}

/** highlight.js's GitHub theme, served with the page. */
export const THEME_CSS = readFileSync(createRequire(import.meta.url).resolve("highlight.js/styles/github.css"), "utf8");
