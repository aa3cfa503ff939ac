import { describe, expect, test } from "vitest";
import { sanitizeCode } from "../../src/loop/index.ts";

const python = (entryPoint: string | null, tests: string | null = null) => ({
  language: "python" as const,
  entryPoint,
  tests,
});

describe("sanitizeCode (what of a model's code is judged)", () => {
  test("leaves out the model's demonstrations: asserts, prints, __main__, test runners, statements using f", () => {
    const code = [
      "import math",
      "from typing import List",
      "MOD = 10**9 + 7",
      "",
      "@cache",
      "def f(a: List[int]) -> int:",
      "    return sum(v % MOD for v in a)",
      "",
      "# Test the function",
      "assert f([1, 2]) == 4  # wrong: must not fail a correct f",
      "print(f([1]))",
      "result = f([2])",
      "for case in ([1], [2]):",
      "    check(f(case))",
      'if __name__ == "__main__":',
      "    print(f([3]))",
      "unittest.main()",
      "def check_solution():",
      "    assert f([1]) == 2",
      "",
      "check_solution()",
    ].join("\n");
    expect(sanitizeCode(code, python("f"))).toBe(
      [
        "import math",
        "from typing import List",
        "MOD = 10**9 + 7",
        "",
        "@cache",
        "def f(a: List[int]) -> int:",
        "    return sum(v % MOD for v in a)",
        "",
        "def check_solution():",
        "    assert f([1]) == 2",
        "",
      ].join("\n"),
    );
  });

  test("keeps the set-up a solution needs, whatever its form", () => {
    const code = [
      "import sys; import functools",
      "sys.setrecursionlimit(10000)",
      "memo = {}",
      "memo[0] = 0",
      "PRIMES = []",
      "for i in range(2, 20):",
      "    if all(i % p for p in PRIMES):",
      "        PRIMES.append(i)",
      "type Num = int",
      "(K := 10)",
      "",
      "class Helper:",
      "    pass",
      "",
      "def f(n: Num) -> Num:",
      "    return memo.get(n, PRIMES[n] + K)",
      "print(f(1))",
    ].join("\n");
    expect(sanitizeCode(code, python("f"))).toBe(`${code.slice(0, code.indexOf("print(f(1))")).trimEnd()}\n`);
  });

  test("an answer cut off in its trailing examples still yields the function", () => {
    const code = "def f(x):\n    return x + 1\n\nassert f(1) == 2\nassert f(2) == (";
    expect(sanitizeCode(code, python("f"))).toBe("def f(x):\n    return x + 1\n");
  });

  test("the names the visible tests use count as the solution too (a task in words names no entry point)", () => {
    const code = "class Pair:\n    pass\n\ndef longest(pairs):\n    return len(pairs)\n\nprint(longest([Pair()]))\n";
    const sanitized = "class Pair:\n    pass\n\ndef longest(pairs):\n    return len(pairs)\n";
    expect(sanitizeCode(code, python(null, "assert longest([Pair(), Pair()]) == 2\n"))).toBe(sanitized);
    expect(sanitizeCode(code, python("longest", "assert longest([Pair()]) == 1\n"))).toBe(sanitized);
  });

  test("leaves alone what it cannot judge: a script, code without the solution, broken code, JavaScript", () => {
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
