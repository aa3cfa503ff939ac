import { describe, expect, test } from "vitest";
import { LineGate, RepetitionGuard } from "../../src/models/local/repetition-guard.ts";

describe("repetition guard", () => {
  test("stops at the third identical line in a row, not at ordinary code", () => {
    const guard = new RepetitionGuard();
    expect(guard.push("def f(x):\n    x += 1\n    x += 1\n")).toBe(false);
    expect(guard.push("    return x\n")).toBe(false);
    const looping = new RepetitionGuard();
    expect(looping.push("    # same\n    # same\n")).toBe(false);
    expect(looping.push("    # same\n")).toBe(true);
  });

  test("stops an endless line", () => {
    expect(new RepetitionGuard({ maxLineChars: 20 }).push(`x = ${"a_".repeat(20)}`)).toBe(true);
  });

  test("trim keeps one copy of the repeated line and drops an overlong one", () => {
    expect(RepetitionGuard.trim("def f():\n    # same\n    # same\n    # same")).toBe("def f():\n    # same\n");
    expect(RepetitionGuard.trim(`a\n${"b".repeat(500)}`)).toBe("a\n");
  });
});

describe("line gate", () => {
  test("releases whole lines, holds back a repeat, and ends with the final answer", () => {
    const gate = new LineGate();
    const shown = [gate.push("def f():\n    re"), gate.push("turn 1\n"), gate.push("    # x\n    # x\n    # x\n")];
    expect(shown).toEqual(["def f():\n", "    return 1\n", "    # x\n"]);
    const answer = RepetitionGuard.trim("def f():\n    return 1\n    # x\n    # x\n    # x\n");
    expect(shown.join("") + gate.finish(answer)).toBe(answer);
  });
});

describe("loops with blank lines between the copies", () => {
  test("are caught, trimmed, and streamed consistently", () => {
    const looping = "    # same thing\n\n    # same thing\n\n    # same thing\n";
    const guard = new RepetitionGuard();
    expect(guard.push("def f():\n")).toBe(false);
    expect(guard.push(looping)).toBe(true);
    const answer = RepetitionGuard.trim(`def f():\n${looping}`);
    expect(answer).toBe("def f():\n    # same thing\n");
    const gate = new LineGate();
    const shown = gate.push("def f():\n") + gate.push(looping);
    expect(shown + gate.finish(answer)).toBe(answer);
  });
});
