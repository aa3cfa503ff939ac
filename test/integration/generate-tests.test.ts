import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { generateTests } from "../../src/check/index.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { scripted, userText } from "../helpers/scripted-model.ts";

const unavailable = sandboxUnavailableReason();

const CODE = "def add(a, b):\n    return a + b\n\n\ndef is_even(n):\n    return n % 2 == 0\n";

// Scripted answers (a test double of the model interface, not a model's output): files with good, wrong, weak
// and useless parts, and one cut off mid-statement, to check what is kept.
const FIRST = [
  "```python",
  "from mathx import add, is_even",
  "",
  "add(1, 2)",
  "",
  "def test_add():",
  "    assert add(2, 3) == 5",
  "    assert add(2, 2) == 5",
  "",
  "def test_exists():",
  "    assert callable(is_even)",
  "```",
].join("\n");
const SECOND = [
  "```python",
  "from mathx import add, is_even",
  "",
  "def test_even():",
  "    assert is_even(4)",
  "    assert not is_even(3)",
  "",
  "def test_add():",
  "    assert add(2, 3) ==",
].join("\n");

describe.skipIf(unavailable)(`generating tests (${unavailable ?? "real sandboxes"})`, { timeout: 60_000 }, () => {
  test("only the tests that pass on the code and catch a mutant are kept, from every sample, once each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-generate-"));
    const codePath = join(dir, "mathx.py");
    writeFileSync(codePath, CODE);
    const { model, fake } = scripted([FIRST, SECOND]);
    const generated = await generateTests({ codePath, model, samples: 2 });
    expect(userText(fake.calls[0])).toContain("Start the test file with:\n\nfrom mathx import add, is_even\n");
    expect(
      generated.candidates.map(({ sample, tests, wrong, weak, kept }) => [sample, tests, wrong, weak, kept]),
    ).toEqual([
      // test_add split into its asserts: one right, one wrong; callable() catches nothing; add(1, 2) is dropped.
      [1, 3, 1, 1, 1],
      // The cut-off assert is gone; test_even's asserts split.
      [2, 2, 0, 0, 2],
    ]);
    expect(generated.source).toBe(
      "from mathx import add, is_even\n\n\nassert add(2, 3) == 5\n\n\nassert is_even(4)\n\n\nassert not is_even(3)\n",
    );
    expect([generated.validation?.wrongTests, generated.validation?.weakTests]).toEqual([[], []]);
    expect(generated.validation?.mutationScore).toBeGreaterThan(0.5);
  });

  test("helpers two samples both define are kept once: the first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-generate-"));
    const codePath = join(dir, "mathx.py");
    writeFileSync(codePath, CODE);
    const sample = (body: string) =>
      `\`\`\`python\nfrom mathx import add, is_even\n\ndef expected(a, b):\n    return ${body}\n\nassert add(2, 3) == expected(2, 3)\n\`\`\``;
    const { model } = scripted([sample("a + b"), sample("b + a")]);
    const generated = await generateTests({ codePath, model, samples: 2 });
    expect(generated.source?.match(/def expected/g)).toHaveLength(1);
    expect(generated.source).toContain("return a + b");
    expect(generated.validation?.wrongTests).toEqual([]);
  });

  test("nothing good: no file, and the candidates say why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-generate-"));
    const codePath = join(dir, "mathx.py");
    writeFileSync(codePath, CODE);
    const { model } = scripted(["I cannot write tests.", "```python\nassert add(1, 1) == 3\n```"]);
    const generated = await generateTests({ codePath, model, samples: 2 });
    expect([generated.source, generated.validation]).toEqual([null, null]);
    expect(generated.candidates.map(({ tests, wrong, kept }) => [tests, wrong, kept])).toEqual([
      [0, 0, 0],
      [1, 1, 0],
    ]);
  });
});
