import { createTwoFilesPatch } from "diff";
import { replaceWithinLimit } from "./bounded-replace.ts";
import type { OutputMatch } from "./directives.ts";

/** Whether `actual` is the output `expected` shows; when not, a unified diff from expected to actual. */
export function matchOutput(
  expected: string,
  actual: string,
  match: OutputMatch,
): { ok: true } | { ok: false; diff: string } {
  const want = normalized(expected, match);
  const got = normalized(actual, match);
  if (want === null || got === null) {
    const patterns = match.normalize.map((pattern) => `normalize="${pattern.source}"`).join(", ");
    return {
      ok: false,
      diff: `${patterns} took more than 2 s on this output and was stopped: a pattern that backtracks catastrophically? Make it more specific`,
    };
  }
  if (want === got) return { ok: true };
  const diff = createTwoFilesPatch("expected", "actual", `${want}\n`, `${got}\n`, undefined, undefined, { context: 2 });
  // Without the "=====" rule the patch starts with its file names: "--- expected", "+++ actual".
  return { ok: false, diff: diff.split("\n").slice(1).join("\n").trimEnd() };
}

/** `text` as compared: normalizers applied (null when they ran past their limit), then whitespace. */
function normalized(text: string, { mode, normalize }: OutputMatch): string | null {
  const result = replaceWithinLimit(text, normalize, "…");
  if (result === null) return null;
  if (mode === "whitespace") return result.replace(/\s+/g, " ").trim();
  // A Markdown block cannot show trailing spaces or a final newline reliably: neither counts.
  return result
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .replace(/\n+$/, "");
}
