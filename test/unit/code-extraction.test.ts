import { describe, expect, test } from "vitest";
import { withStarterImports } from "../../src/loop/extract-code.ts";
import { completeCode, extractCode } from "../../src/loop/index.ts";

describe("extractCode (chat answers)", () => {
  test("takes the fenced block that defines the entry point", () => {
    const answer = [
      "Here is a helper:",
      "```python",
      "import math",
      "```",
      "And the solution:",
      "```python",
      "def area(r):",
      "    return math.pi * r * r",
      "```",
      "Example:",
      "```python",
      "print(area(2)) # a longer block that only shows usage of the function",
      "```",
    ].join("\n");
    expect(extractCode(answer, { language: "python", entryPoint: "area" })).toBe(
      "def area(r):\n    return math.pi * r * r\n",
    );
  });

  test("prefers blocks in the task's language, else the longest", () => {
    const answer = "```bash\npip install nothing at all please\n```\n```js\nconst f = () => 1;\n```\n";
    expect(extractCode(answer, { language: "javascript", entryPoint: null })).toBe("const f = () => 1;\n");
  });

  test("bare code without fences starts at the first definition", () => {
    expect(extractCode("Sure! def f():\ndef f():\n    return 1\n", { language: "python", entryPoint: "f" })).toBe(
      "def f():\n    return 1\n",
    );
  });

  test("prose only is no code", () => {
    expect(extractCode("I cannot help with that.", { language: "python", entryPoint: "f" })).toBeNull();
    expect(extractCode("```python\n\n```", { language: "python", entryPoint: "f" })).toBeNull();
  });
});

describe("completeCode (completion models)", () => {
  test("the prompt's prefix continued by the model", () => {
    expect(completeCode({ prefix: "def f(x):\n", suffix: "" }, "    return x\n\n", "python")).toBe(
      "def f(x):\n    return x\n",
    );
  });
  test("JavaScript gets back the closing brace its stop sequence swallowed", () => {
    expect(completeCode({ prefix: "function f(x) {\n", suffix: "}" }, "  return x;", "javascript")).toBe(
      "function f(x) {\n  return x;\n}\n",
    );
  });
  test("without a signature the code is the model's text alone, with nothing appended", () => {
    expect(completeCode({ prefix: "", suffix: "" }, "const f = (x) => x;\n", "javascript")).toBe(
      "const f = (x) => x;\n",
    );
  });
  test("whitespace and comments are no code", () => {
    expect(completeCode({ prefix: "def f(x):\n", suffix: "" }, " \n ", "python")).toBeNull();
    expect(
      completeCode({ prefix: "def f(x):\n", suffix: "" }, "    # Write f.\n\n    # Write f.\n", "python"),
    ).toBeNull();
    expect(completeCode({ prefix: "function f(x) {\n", suffix: "}" }, "  // todo", "javascript")).toBeNull();
  });
});

describe("withStarterImports (chat answers to starter code)", () => {
  test("the starter's imports the answer left out come first; those it kept are not repeated", () => {
    const starter = "import math\nfrom typing import List\n\n\ndef f(xs: List[int]) -> int:\n";
    expect(withStarterImports("def f(xs):\n    return 1\n", starter)).toBe(
      "import math\nfrom typing import List\ndef f(xs):\n    return 1\n",
    );
    expect(withStarterImports("import math\nfrom typing import List\ndef f(xs):\n    return 1\n", starter)).toBe(
      "import math\nfrom typing import List\ndef f(xs):\n    return 1\n",
    );
  });
});
