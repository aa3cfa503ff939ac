import { describe, expect, test } from "vitest";
import { LineGate, RepetitionGuard } from "../../src/models/local/repetition-guard.ts";

/** Streams `text` through a gate in chunks of `size` and returns what was shown plus the rest of `answer`. */
function streamed(text: string, answer: string, size: number): string {
  const gate = new LineGate();
  let shown = "";
  for (let index = 0; index < text.length; index += size) shown += gate.push(text.slice(index, index + size));
  return shown + gate.finish(answer);
}

describe("repetition guard", () => {
  test("stops at the fifth identical line in a row, blank lines between them aside", () => {
    const guard = new RepetitionGuard();
    expect(guard.push("def f():\n    # same thing\n\n    # same thing\n    # same thing\n    # same thing\n")).toBe(
      false,
    );
    expect(guard.push("\n    # same thing\n")).toBe(true);
  });

  test("ordinary code does not trip it: short lines like braces, and lines differing in indentation", () => {
    const javascript = new RepetitionGuard();
    expect(javascript.push("function f(a) {\n  if (a) {\n    for (;;) {\n      break;\n    }\n  }\n}\n")).toBe(false);
    const rows = new RepetitionGuard();
    expect(rows.push("grid = [\n    [0, 0, 0, 0],\n    [0, 0, 0, 0],\n    [0, 0, 0, 0],\n    [0, 0, 0, 0],\n]\n")).toBe(
      false,
    );
    const indented = new RepetitionGuard();
    expect(indented.push("        total += x\n    total += x\ntotal += x\n  total += x\n total += x\n")).toBe(false);
  });

  test("stops an endless line", () => {
    expect(new RepetitionGuard({ maxLineChars: 20 }).push(`x = ${"a_".repeat(20)}`)).toBe(true);
  });

  test("trim cuts only the final loop and the unfinished line; earlier repeats stay", () => {
    const text =
      "rows.append([0] * n)\nrows.append([0] * n)\nfor r in rows:\n    # done here\n\n    # done here\n    # done here\n    # do";
    expect(RepetitionGuard.trim(text)).toBe(
      "rows.append([0] * n)\nrows.append([0] * n)\nfor r in rows:\n    # done here\n",
    );
    expect(RepetitionGuard.trim(`a = 1\n${"b".repeat(500)}`)).toBe("a = 1\n");
  });
});

describe("line gate", () => {
  test("what a stream shows is always a prefix of the final answer, in any chunking", () => {
    const degenerate =
      "def f():\n    x = 1  \n    x = 1  \n    y = 2\n    # looping line\n\n    # looping line\n    # looping line\n    # lo";
    const answer = RepetitionGuard.trim(degenerate);
    expect(answer).toBe("def f():\n    x = 1  \n    x = 1  \n    y = 2\n    # looping line\n");
    for (const size of [1, 3, 7, 1000]) expect(streamed(degenerate, answer, size)).toBe(answer);
  });

  test("a repeated line is released once a different line follows it", () => {
    const gate = new LineGate();
    expect(gate.push("a line of code\na line of code\n")).toBe("a line of code\n");
    expect(gate.push("another line\n")).toBe("a line of code\nanother line\n");
  });

  test("an answer that does not continue the stream is a bug, not silently shown twice", () => {
    const gate = new LineGate();
    gate.push("first line here\n");
    expect(() => gate.finish("something else")).toThrow("the final answer does not continue the streamed text");
  });
});
