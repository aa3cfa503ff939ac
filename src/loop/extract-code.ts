import { lexer, type Token } from "marked";
import type { TaskLanguage } from "./task.ts";

const LANGUAGE_TAGS: Record<TaskLanguage, string[]> = {
  python: ["python", "py", "python3"],
  javascript: ["javascript", "js", "node", "mjs"],
  typescript: ["typescript", "ts"],
};

const CODE_START: Record<TaskLanguage, RegExp> = {
  python: /^(?:def |class |import |from |async def |@)/m,
  javascript: /^(?:function |async function |const |let |class |export |module\.exports)/m,
  typescript: /^(?:function |async function |const |let |class |export |interface |type )/m,
};

/**
 * The code in a chat model's answer: the fenced block that defines the entry point (else the longest block in
 * the task's language), or bare code when the answer has no fences. `null` when there is no code at all.
 */
export function extractCode(
  answer: string,
  options: { language: TaskLanguage; entryPoint: string | null },
): string | null {
  const blocks = codeBlocks(lexer(answer)).filter((block) => block.text.trim() !== "");
  if (blocks.length > 0) {
    const tags = LANGUAGE_TAGS[options.language];
    const inLanguage = blocks.filter((block) => block.lang === "" || tags.includes(block.lang.toLowerCase()));
    const candidates = inLanguage.length > 0 ? inLanguage : blocks;
    const defining = options.entryPoint
      ? candidates.filter((block) => defines(block.text, options.entryPoint ?? ""))
      : [];
    const pool = defining.length > 0 ? defining : candidates;
    return `${pool.reduce((longest, block) => (block.text.length > longest.text.length ? block : longest)).text.trimEnd()}\n`;
  }
  const start = CODE_START[options.language].exec(answer);
  if (!start) return null;
  return `${answer.slice(start.index).trimEnd()}\n`;
}

/**
 * The code a completion model wrote: the prompt's code prefix (signature and docstring) continued by the
 * model. `null` when the model added nothing but whitespace and comments.
 */
export function completeCode(
  completion: { prefix: string; suffix: string },
  text: string,
  language: TaskLanguage,
): string | null {
  // Comments alone are no code: a function of comments only returns None, which would pass for a wrong answer.
  const comment = language === "python" ? "#" : "//";
  if (text.split("\n").every((line) => line.trim() === "" || line.trim().startsWith(comment))) return null;
  return `${completion.prefix}${text.trimEnd()}${completion.suffix ? `\n${completion.suffix}` : ""}\n`;
}

/**
 * Chat code for a task with starter code: the starter's import lines that the answer left out, then the
 * answer (chat models often return the function alone, without the `from typing import List` it needs).
 */
export function withStarterImports(code: string, starter: string): string {
  const imports = starter
    .split("\n")
    .filter((line) => /^(?:import |from \S+ import )/.test(line) && !code.includes(line.trim()));
  return imports.length > 0 ? `${imports.join("\n")}\n${code}` : code;
}

function codeBlocks(tokens: Token[]): { lang: string; text: string }[] {
  const blocks: { lang: string; text: string }[] = [];
  for (const token of tokens) {
    if (token.type === "code") blocks.push({ lang: (token.lang ?? "").split(/\s/)[0] ?? "", text: token.text });
    else if ("tokens" in token && Array.isArray(token.tokens)) blocks.push(...codeBlocks(token.tokens));
  }
  return blocks;
}

function defines(code: string, name: string): boolean {
  const escaped = name.replace(/[$]/g, "\\$");
  return new RegExp(`(?:def|class|function)\\s+${escaped}\\b|(?:const|let|var)\\s+${escaped}\\s*=`).test(code);
}
