import { LitmusError } from "../../errors.ts";
import { parseDuration } from "../../sandbox/index.ts";

/** How an expected output is compared with what a snippet printed. */
export interface OutputMatch {
  /** "exact": line by line, trailing spaces ignored; "whitespace": any run of whitespace equals any other. */
  mode: "exact" | "whitespace";
  /** Matches of each are replaced by `…` in both texts before they are compared (addresses, timings). */
  normalize: RegExp[];
}

/** What a document says about its next code block, in an HTML comment or the block's fence info string. */
export interface Directives {
  /** Do not run the block (the reason, when one is given). */
  skip?: string;
  /** Do not run this block or any later block of the document. */
  skipRest?: boolean;
  /** The block must fail; with a name, with that exception (or that exit status for shell blocks). */
  expectError?: { name?: string };
  timeoutMs?: number;
  /** Start the document's interpreters afresh before the block: nothing earlier blocks defined is left. */
  reset?: boolean;
  /** The block is the expected stdout of the code block before it. */
  output?: boolean;
  match?: OutputMatch["mode"];
  normalize?: RegExp[];
}

/** The words a directive may use, for error messages and the README. */
export const DIRECTIVE_WORDS = [
  "skip",
  "skip-rest",
  "expect-error",
  "timeout",
  "reset",
  "output",
  "match",
  "normalize",
] as const;

const ALIASES: Record<string, string> = { notest: "skip" };

interface Word {
  name: string;
  value: string | undefined;
}

/** Splits `skip timeout=5s normalize="\d+ ms"` into words; values may be double-quoted. */
function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  for (const match of text.matchAll(/([A-Za-z][\w-]*)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g)) {
    const raw = match[2];
    const value = raw?.startsWith('"') ? raw.slice(1, -1).replace(/\\(["\\])/g, "$1") : raw;
    words.push({ name: ALIASES[match[1] ?? ""] ?? match[1] ?? "", value });
  }
  return words;
}

/**
 * Directives from a `litmus:` comment. Every word must be known: a typo would otherwise silently run a block
 * that was meant to be skipped. `where` names the comment in errors ("README.md:12").
 */
export function parseDirectiveComment(text: string, where: string): Directives {
  return toDirectives(wordsOf(text), where, { strict: true });
}

/**
 * Directives among the words after a fence's language (```` ```python skip timeout=5s ````). Other tools put
 * their own words there (titles, line highlights), so words litmus does not know are left alone.
 */
export function parseFenceDirectives(meta: string, where: string): Directives {
  return toDirectives(wordsOf(meta), where, { strict: false });
}

function toDirectives(words: Word[], where: string, { strict }: { strict: boolean }): Directives {
  const directives: Directives = {};
  for (const { name, value } of words) {
    const bad = (why: string): never => {
      throw new LitmusError("BAD_INPUT", `${where}: ${why}`);
    };
    switch (name) {
      case "skip":
        directives.skip = value ?? "";
        break;
      case "skip-rest":
        directives.skipRest = true;
        break;
      case "expect-error":
        directives.expectError = value ? { name: value } : {};
        break;
      case "timeout":
        if (!value) bad('timeout needs a duration, like timeout=5s or timeout="500ms"');
        try {
          directives.timeoutMs = parseDuration(value ?? "");
        } catch {
          bad(`timeout=${value} is not a duration; write it like 5s, 500ms or 2m`);
        }
        break;
      case "reset":
        directives.reset = true;
        break;
      case "output":
        directives.output = true;
        break;
      case "match":
        if (value !== "exact" && value !== "whitespace")
          bad(`match=${value ?? ""}: use match=exact or match=whitespace`);
        directives.match = value as OutputMatch["mode"];
        break;
      case "normalize":
        directives.normalize = [...(directives.normalize ?? []), regexOf(value, bad)];
        break;
      default:
        if (strict) bad(`unknown litmus directive "${name}"; known: ${DIRECTIVE_WORDS.join(", ")}`);
    }
  }
  return directives;
}

function regexOf(source: string | undefined, bad: (why: string) => never): RegExp {
  if (!source) return bad('normalize needs a regular expression, like normalize="0x[0-9a-f]+"');
  try {
    return new RegExp(source, "g");
  } catch (error) {
    return bad(`normalize="${source}" is not a regular expression: ${(error as Error).message}`);
  }
}

/** Directives of two sources together; `later` wins where both say something. */
export function mergeDirectives(earlier: Directives, later: Directives): Directives {
  const normalize = [...(earlier.normalize ?? []), ...(later.normalize ?? [])];
  return { ...earlier, ...later, ...(normalize.length > 0 ? { normalize } : {}) };
}
