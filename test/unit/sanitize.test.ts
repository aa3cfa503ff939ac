import { describe, expect, test } from "vitest";
import { sanitizeCode } from "../../src/loop/index.ts";

const python = (entryPoint: string | null) => ({ language: "python" as const, entryPoint });

describe("sanitizeCode (what of a model's code is judged)", () => {
  test("keeps the entry point, what it uses (transitively) and the imports; drops the model's own checks", () => {
    const code = [
      "import math",
      "from typing import List",
      "MOD = 10**9 + 7",
      "UNUSED = 3",
      "",
      "def helper(x):",
      "    return x % MOD",
      "",
      "@cache",
      "def f(a: List[int]) -> int:",
      "    return sum(helper(v) for v in a)",
      "",
      "class Unused:",
      "    pass",
      "",
      "# Test the function",
      "assert f([1, 2]) == 4  # wrong: must not fail a correct f",
      "print(f([1]))",
      "result = f([2])",
      'if __name__ == "__main__":',
      "    print(f([3]))",
      "try:",
      "    import numpy as np",
      "except ImportError:",
      "    np = None",
    ].join("\n");
    expect(sanitizeCode(code, python("f"))).toBe(
      [
        "import math",
        "from typing import List",
        "",
        "MOD = 10**9 + 7",
        "",
        "def helper(x):",
        "    return x % MOD",
        "",
        "@cache",
        "def f(a: List[int]) -> int:",
        "    return sum(helper(v) for v in a)",
        "",
        "try:",
        "    import numpy as np",
        "except ImportError:",
        "    np = None",
        "",
      ].join("\n"),
    );
  });

  test("a class entry point keeps the classes it builds on", () => {
    const code =
      "class Base:\n    pass\n\nclass Stack(Base):\n    def push(self, x):\n        pass\n\ns = Stack()\ns.push(1)\n";
    expect(sanitizeCode(code, python("Stack"))).toBe(
      "class Base:\n    pass\n\nclass Stack(Base):\n    def push(self, x):\n        pass\n",
    );
  });

  test("an answer cut off in its trailing examples still yields the function", () => {
    const code = "def f(x):\n    return x + 1\n\nassert f(1) == 2\nassert f(2) == (";
    expect(sanitizeCode(code, python("f"))).toBe("def f(x):\n    return x + 1\n");
  });

  test("without a named entry point, what the visible tests call is what stays", () => {
    const code =
      "import re\n\ndef words(text):\n    return re.findall(r'\\w+', text)\n\ndef count(text):\n    return len(words(text))\n\nassert count('a b') == 3\nprint(count('x'))\n";
    expect(sanitizeCode(code, { language: "python", entryPoint: null, tests: "assert count('a b c') == 3\n" })).toBe(
      "import re\n\ndef words(text):\n    return re.findall(r'\\w+', text)\n\ndef count(text):\n    return len(words(text))\n",
    );
  });

  test("leaves alone what it cannot judge: no entry point, an entry point it cannot find, broken code, JavaScript", () => {
    const script = "print(sum(range(10)))\n";
    expect(sanitizeCode(script, python(null))).toBe(script);
    const other = "def g():\n    return 1\n\nprint(g())\n";
    expect(sanitizeCode(other, python("f"))).toBe(other);
    const broken = "def f(x:\n    return x\n\nassert f(1) == 1\n";
    expect(sanitizeCode(broken, python("f"))).toBe(broken);
    const javascript = "function f() { return 1; }\nconsole.log(f());\n";
    expect(sanitizeCode(javascript, { language: "javascript", entryPoint: "f" })).toBe(javascript);
  });
});
