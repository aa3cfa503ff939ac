import { createTwoFilesPatch } from "diff";
import type { OutputMatch } from "./directives.ts";

/** Whether `actual` is the output `expected` shows; when not, a unified diff from expected to actual. */
export function matchOutput(
  expected: string,
  actual: string,
  match: OutputMatch,
): { ok: true } | { ok: false; diff: string } {
  const want = normalized(expected, match);
  const got = normalized(actual, match);
  if (want === got) return { ok: true };
  const diff = createTwoFilesPatch("expected", "actual", `${want}\n`, `${got}\n`, undefined, undefined, { context: 2 });
  // Without the "=====" rule the patch starts with its file names: "--- expected", "+++ actual".
  return { ok: false, diff: diff.split("\n").slice(1).join("\n").trimEnd() };
}

function normalized(text: string, { mode, normalize }: OutputMatch): string {
  let result = text;
  for (const pattern of normalize) result = result.replace(pattern, "…");
  if (mode === "whitespace") return result.replace(/\s+/g, " ").trim();
  // A Markdown block cannot show trailing spaces or a final newline reliably: neither counts.
  return result
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .replace(/\n+$/, "");
}
