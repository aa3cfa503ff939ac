import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { BUILTIN_TEMPLATES, resolveTemplate } from "../../src/sandbox/templates/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";
import { startTestServer } from "../helpers/server.ts";

// The code-interpreter template (built by scripts/setup.sh) has IPython: its kernels run cells through
// IPython's own shell, and give what E2B's code interpreter gives.
describe.skipIf(Boolean(sandboxUnavailableReason()))(
  "cells in the code-interpreter template run like a notebook",
  () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await Sandbox.create({ template: "code-interpreter", limits: { execTimeoutMs: 60_000 } });
    });
    afterAll(async () => {
      await sandbox?.kill();
    });

    test("indented cells, the value of the last line, `;` to hide it, Out and _", async () => {
      const value = await sandbox.runCode("    x = 20\n    x + 1\n");
      expect(value.error).toBeNull();
      expect(value.results).toEqual([{ isMainResult: true, text: "21" }]);
      const hidden = await sandbox.runCode("x + 2;");
      expect(hidden.results).toEqual([]);
      const previous = await sandbox.runCode("_ * 2");
      expect(previous.text).toBe("42");
    });

    test("display() and the value: plain dicts and lists also as JSON (NaN as null), DataFrames with their data", async () => {
      const execution = await sandbox.runCode(`
import pandas as pd
display({"a": [1, float("nan")], "b": "two"})
pd.DataFrame({"n": [1, 2, None], "when": pd.to_datetime(["2024-01-02"] * 3)})
`);
      expect(execution.error).toBeNull();
      const [shown, frame] = execution.results;
      expect(shown).toMatchObject({ isMainResult: false, json: { a: [1, null], b: "two" } });
      expect(frame?.isMainResult).toBe(true);
      expect(frame?.html).toContain("<table");
      expect(frame?.data).toEqual({ n: [1, 2, null], when: Array(3).fill("2024-01-02T00:00:00") });
    });

    test("figures are captured as PNG with E2B's chart, at plt.show() and at the end of the cell", async () => {
      const execution = await sandbox.runCode(`
import matplotlib.pyplot as plt
plt.bar(["Author A", "Author B"], [100, 200], label="Books Sold")
plt.title("Sales")
plt.show()
plt.figure()
plt.plot([1, 2, 3], [1, 4, 9])
print("after")
`);
      expect(execution.error).toBeNull();
      expect(stdoutOf(execution)).toBe("after\n");
      expect(execution.results).toHaveLength(2);
      const [bar, line] = execution.results;
      expect(bar?.text).toBe("<Figure size 640x480 with 1 Axes>");
      expect(
        Buffer.from(bar?.png ?? "", "base64")
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
      expect(bar?.chart).toMatchObject({
        type: "bar",
        title: "Sales",
        elements: [
          { label: "Author A", group: "Books Sold", value: 100 },
          { label: "Author B", group: "Books Sold", value: 200 },
        ],
      });
      expect(line?.chart).toMatchObject({ type: "line" });
      expect(line?.isMainResult).toBe(false);
    });

    test("PIL images: save(path) and show() display them; no viewer is started", async () => {
      const execution = await sandbox.runCode(`
from PIL import Image
image = Image.new("RGB", (8, 8), "red")
image.save("red.png")
image.show()
`);
      expect(execution.error).toBeNull();
      expect(execution.results.map((result) => Boolean(result.png))).toEqual([true, true]);
      expect(stdoutOf(await sandbox.runCode("import os; print(os.path.getsize('red.png') > 0)"))).toBe("True\n");
    });

    test("!commands and magics", async () => {
      const execution = await sandbox.runCode("!echo shell $((6 * 7))\n%cd /tmp\nimport os; os.getcwd()");
      expect(execution.error).toBeNull();
      expect(stdoutOf(execution)).toBe("shell 42\n/tmp\n");
      expect(execution.text).toBe("'/tmp'");
      await sandbox.runCode("%cd /home/user");
    });

    test("errors: IPython's traceback of the cell; sys.exit gives its status", async () => {
      const failed = await sandbox.runCode("def f():\n    return 1 / 0\nf()");
      expect(failed.error).toMatchObject({ name: "ZeroDivisionError", value: "division by zero" });
      expect(failed.error?.traceback).toMatch(/Cell In\[\d+\], line 3\n.*\n----> 3 f\(\)/s);
      expect(failed.exitCode).toBe(1);
      const syntax = await sandbox.runCode("def (");
      expect(syntax.error?.name).toBe("SyntaxError");
      const exited = await sandbox.runCode("import sys; sys.exit(3)");
      expect(exited.exitCode).toBe(3);
      expect(exited.error?.name).toBe("SystemExit");
      const fine = await sandbox.runCode("import sys; sys.exit(0)");
      expect(fine.error).toBeNull();
      expect(fine.exitCode).toBe(0);
      expect([exited.exited, fine.exited]).toEqual([true, true]);
      expect((await sandbox.runCode("1")).exited).toBeUndefined();
    });

    test("a cell cut at its timeout leaves the notebook's state as it was", async () => {
      await sandbox.runCode("kept = 'still here'");
      const stopped = await sandbox.runCode("while True: pass", { timeoutMs: 1_500 });
      expect(stopped.timedOut).toBe(true);
      const after = await sandbox.runCode("kept");
      expect(after.text).toBe("'still here'");
    });
  },
);

describe.skipIf(Boolean(sandboxUnavailableReason()))("the E2B API with the code-interpreter template", () => {
  test("result lines carry E2B's formats: chart, data, extra, is_main_result", async () => {
    const store = RunStore.open(":memory:");
    const template = await resolveTemplate("code-interpreter", "/usr/bin/python3", BUILTIN_TEMPLATES);
    const server = await startTestServer(store, { e2bTemplate: template });
    try {
      const response = await fetch(new URL("execute", server.e2bUrl as string), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          code: "import matplotlib.pyplot as plt, pandas as pd\nplt.pie([90, 10])\nplt.show()\npd.DataFrame({'a': [1]})",
        }),
      });
      const body = await response.text();
      const results = body
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line))
        .filter((line) => line.type === "result");
      // A chart's numbers are floats, written as such for Python clients (a whole pie has radius 1.0).
      expect(body).toContain('"radius":1.0');
      expect(results).toHaveLength(2);
      expect(results[0]).toMatchObject({ is_main_result: false, extra: {}, chart: { type: "pie" } });
      expect(results[0].png).toMatch(/^iVBOR/);
      expect(results[1]).toMatchObject({ is_main_result: true, extra: {}, data: { a: [1] } });
    } finally {
      await server.close();
      store.close();
    }
  });
});
