import { describe, expect, test } from "vitest";
import { buildPrompt, citedBullets, parseTask, signatureOf } from "../../src/loop/index.ts";

const task = await parseTask(
  {
    prompt: "Write a function is_palindrome(s) that says whether s reads the same backwards.",
    tests: { asserts: ["assert is_palindrome('aba') == True"] },
  },
  { source: "test" },
);

describe("prompts", () => {
  test("the signature is inferred from the prompt when the task has none", () => {
    expect(signatureOf(task)).toBe("def is_palindrome(s):");
    expect(signatureOf({ ...task, language: "javascript" })).toBe("function is_palindrome(s) {");
    expect(signatureOf({ ...task, prompt: "Write a class Stack with push and pop." })).toBe("class Stack:");
    expect(signatureOf({ ...task, prompt: "Print hello." })).toBeNull();
  });

  test("a base model continues the signature and a docstring with the visible tests as doctests", () => {
    const prompt = buildPrompt(task, { style: "completion", visibleTests: "assert is_palindrome('aba') == True\n" });
    expect(prompt.prompt).toBe(
      'def is_palindrome(s):\n    """Write a function is_palindrome(s) that says whether s reads the same\n    backwards.\n\n    >>> is_palindrome(\'aba\')\n    True\n    """\n',
    );
    expect(prompt.completion).toEqual({ prefix: prompt.prompt, suffix: "" });
    expect(prompt.stopSequences).toContain("\ndef ");
  });

  test("backslashes and triple quotes in a task cannot break the docstring", () => {
    const windows = {
      ...task,
      prompt: 'Write is_palindrome(s); paths look like C:\\Users\\x and quotes like """.',
      tests: null,
    };
    const { completion } = buildPrompt(windows, {
      style: "completion",
      visibleTests: "assert is_palindrome('a\\nb') == False\n",
    });
    expect(completion?.prefix).toBe(
      'def is_palindrome(s):\n    """Write is_palindrome(s); paths look like C:\\\\Users\\\\x and quotes like \\"\\"\\".\n\n    >>> is_palindrome(\'a\\\\nb\')\n    False\n    """\n',
    );
  });

  test("JavaScript: a JSDoc comment, and the closing brace to add back; no signature, no brace", () => {
    const js = { ...task, language: "javascript" as const };
    expect(buildPrompt(js, { style: "completion", visibleTests: null }).completion?.suffix).toBe("}");
    const free = buildPrompt({ ...js, prompt: "Print hello." }, { style: "completion", visibleTests: null });
    expect(free.completion).toEqual({ prefix: "", suffix: "" });
    expect(free.stopSequences).toEqual(["\n```", "\n\n\n"]);
  });

  test("a repair shows the previous code and its failure ahead of the signature", () => {
    const prompt = buildPrompt(task, {
      style: "completion",
      visibleTests: null,
      previous: {
        code: "def is_palindrome(s):\n    return True\n",
        diagnosis: { kind: "test_failure", message: "expected False, got True" },
      },
    });
    expect(prompt.prompt.split('def is_palindrome(s):\n    """')[0]).toBe(
      "# This previous attempt failed:\n# def is_palindrome(s):\n#     return True\n# Failure (test_failure): expected False, got True\n",
    );
    expect(prompt.completion?.prefix).not.toContain("previous");
  });

  test("a long failure is shown with its middle cut out, its start and end kept", () => {
    const message = `TypeError: ${"x".repeat(5000)} the end`;
    const prompt = buildPrompt(task, {
      style: "chat",
      visibleTests: null,
      previous: { code: "def is_palindrome(s):\n    return s\n", diagnosis: { kind: "runtime", message } },
    });
    const failure = prompt.prompt.split("Failure (runtime): ")[1]?.split("\nFix it")[0] ?? "";
    expect(failure).toMatch(/^TypeError: x{789} \.\.\. x{392} the end \(5019 characters\)$/);
  });

  test("a chat model gets instructions, the tests, playbook bullets and the failure", () => {
    const prompt = buildPrompt(task, {
      style: "chat",
      visibleTests: "assert is_palindrome('aba') == True\n",
      bullets: [{ id: "b1", content: "Compare with the reversed string." }],
      previous: { code: null, diagnosis: { kind: "no_code", message: "the answer contained no code" } },
    });
    expect(prompt.system).toMatch(/^You are an expert python programmer\. Reply with one fenced ```python code block/);
    expect(prompt.prompt).toBe(
      [
        "Task: Write a function is_palindrome(s) that says whether s reads the same backwards.",
        "The solution must define:\ndef is_palindrome(s):",
        "It must pass these tests:\n```python\nassert is_palindrome('aba') == True\n```",
        "Strategies that worked before:\n- [b1] Compare with the reversed string.\nIf you apply one, name it in a comment in the code, such as `# uses: b1`.",
        "The previous answer had no code in it.\nFix it: reply with the complete corrected code.",
      ].join("\n\n"),
    );
    expect(prompt.completion).toBeNull();
  });

  test("bullets head a completion prompt as comments (snippets too); a chat answer's citations are read", () => {
    const bullets = [
      { id: "str-0001", content: "Compare with the reversed string." },
      { id: "snp-0001", content: "A tested helper.", snippet: "def rev(s):\n    return s[::-1]\n" },
    ];
    const prompt = buildPrompt(task, { style: "completion", visibleTests: null, bullets });
    expect(prompt.prompt.split("def is_palindrome")[0]).toBe(
      "# Hint: Compare with the reversed string.\n# Hint: A tested helper.\n# def rev(s):\n#     return s[::-1]\n",
    );
    expect(prompt.completion?.prefix).not.toContain("Hint");
    expect(citedBullets("```python\n# uses: snp-0001, str-0009\ndef f(): ...\n```", bullets)).toEqual(["snp-0001"]);
  });

  test("starter code (HumanEval's prompt) is what a base model continues, and what a chat model completes", () => {
    const starter =
      'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """Sum of xs.\n    >>> total([1, 2])\n    3\n    """\n';
    const withStarter = { ...task, prompt: "Sum of xs.", entryPoint: "total", starter };
    const completion = buildPrompt(withStarter, { style: "completion", visibleTests: "assert total([1, 2]) == 3\n" });
    expect([completion.prompt, completion.completion]).toEqual([starter, { prefix: starter, suffix: "" }]);
    const chat = buildPrompt(withStarter, { style: "chat", visibleTests: "assert total([1, 2]) == 3\n" });
    expect(chat.prompt).toContain(
      `Complete this code (keep its imports and definitions):\n\`\`\`python\n${starter.trimEnd()}\n\`\`\``,
    );
    expect(chat.prompt).not.toContain("The solution must define");
  });
});
