import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import {
  type BuiltTemplate,
  buildTemplate,
  checkTemplateSpec,
  findTemplate,
  listTemplates,
  parseRequirements,
  removeTemplate,
  type TemplateBuildProgress,
} from "../../src/sandbox/templates/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { LAUNCH_MODES, sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";
import { startTestServer } from "../helpers/server.ts";

// The sandbox's Python builds templates (its wheels must fit that interpreter); pip fetches from PyPI.
const PYTHON = "/usr/bin/python3";
// Neither is in the system Python: only a template can make them importable. pyfiglet has a command too.
const SMALL = { name: "small", description: "one small pure-Python package", requirements: ["tomli-w==1.2.0"] };
const WITH_COMMAND = { name: "figlet", description: "a package with a command", requirements: ["pyfiglet==1.0.4"] };

describe("sandbox templates: build, find, list, remove (real pip)", () => {
  const dirs: string[] = [];
  const cacheDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "litmus-templates-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("a build installs the pinned packages once, with progress; the next build finds it", async () => {
    const dir = await cacheDir();
    const progress: TemplateBuildProgress[] = [];
    const built = await buildTemplate(SMALL, { python: PYTHON, cacheDir: dir, onProgress: (p) => progress.push(p) });
    expect(built.installed).toEqual([{ name: "tomli-w", version: "1.2.0" }]);
    expect(existsSync(join(built.path, "site-packages", "tomli_w", "__init__.py"))).toBe(true);
    expect(built.python).toMatch(/^3\.\d+-\w+$/);
    expect(progress.map((p) => p.phase)).toEqual(["collecting", "installing", "done"]);
    const again = await buildTemplate(SMALL, { python: PYTHON, cacheDir: dir, onProgress: (p) => progress.push(p) });
    expect(again).toEqual(built);
    expect(progress).toHaveLength(3);
    expect(await findTemplate(SMALL, PYTHON, dir)).toEqual(built);
    expect(await findTemplate({ ...SMALL, requirements: ["tomli-w==1.1.0"] }, PYTHON, dir)).toBeNull();
    expect((await listTemplates(dir)).map((t) => [t.name, t.key])).toEqual([["small", built.key]]);
    expect(await removeTemplate("small", dir)).toBe(1);
    expect(await listTemplates(dir)).toEqual([]);
  });

  test("a failed build leaves nothing behind and says why", async () => {
    const dir = await cacheDir();
    const broken = { ...SMALL, requirements: ["tomli-w==1.2.0", "litmus-no-such-package-anywhere==1.0.0"] };
    await expect(buildTemplate(broken, { python: PYTHON, cacheDir: dir })).rejects.toThrow(
      /template build failed.*litmus-no-such-package-anywhere.*nothing was kept/s,
    );
    expect(await readdir(join(dir, "small"))).toEqual([]);
    expect(await listTemplates(dir)).toEqual([]);
  });

  test("bad specs are refused before pip runs: unpinned requirements, pip options, names unfit for paths", async () => {
    expect(() => checkTemplateSpec({ ...SMALL, requirements: ["numpy"] })).toThrow(/"numpy" is not pinned/);
    expect(() => checkTemplateSpec({ ...SMALL, requirements: ["numpy>=2"] })).toThrow(/not pinned/);
    expect(() => checkTemplateSpec({ ...SMALL, name: "../etc" })).toThrow(/template name/);
    expect(() => parseRequirements("numpy==2.3.5\n--index-url http://evil\n", "req.txt")).toThrow(
      /req.txt:2: pip options/,
    );
    expect(parseRequirements("# data\nnumpy==2.3.5  # arrays\n\npandas==2.2.3\n", "req.txt")).toEqual([
      "numpy==2.3.5",
      "pandas==2.2.3",
    ]);
    await expect(removeTemplate("../..", "/nonexistent")).rejects.toThrow(/template name/);
  });
});

/**
 * WITH_COMMAND built for a suite, in a cache of its own (removed after it). As root, sandboxes run as other uids:
 * the cache must be reachable by them, which mkdtemp's is not until opened up.
 */
function templateForSuite(): { readonly built: BuiltTemplate } {
  const state: { built?: BuiltTemplate; dir?: string } = {};
  beforeAll(async () => {
    state.dir = await mkdtemp(join(tmpdir(), "litmus-templates-"));
    await chmod(state.dir, 0o755);
    state.built = await buildTemplate(WITH_COMMAND, { python: PYTHON, cacheDir: state.dir });
  });
  afterAll(() => rm(state.dir as string, { recursive: true, force: true }));
  return {
    get built() {
      return state.built as BuiltTemplate;
    },
  };
}

describe.skipIf(Boolean(sandboxUnavailableReason())).each(LAUNCH_MODES)("a sandbox with a template (%s)", (launch) => {
  const template = templateForSuite();

  test("imports its packages in the kernel and in any Python it runs, and has its commands on PATH", async () => {
    await using sandbox = await Sandbox.create({ launch, template: template.built });
    const kernel = await sandbox.runCode("import pyfiglet; print(pyfiglet.__file__)");
    expect(stdoutOf(kernel)).toBe("/opt/litmus/template/site-packages/pyfiglet/__init__.py\n");
    const child = await sandbox.commands.run("python3 -c 'import pyfiglet; print(pyfiglet.__name__)'");
    expect(child.stdout).toBe("pyfiglet\n");
    const command = await sandbox.commands.run("pyfiglet --version");
    expect(command.stdout).toMatch(/^1\.0\.4/);
    // Read-only, like the rest of the host's files.
    const write = await sandbox.runCode("open('/opt/litmus/template/site-packages/x', 'w')");
    expect(write.error?.name).toBe("OSError");
  });

  test("a sandbox without it does not have it", async () => {
    await using sandbox = await Sandbox.create({ launch });
    expect((await sandbox.runCode("import pyfiglet")).error?.name).toBe("ModuleNotFoundError");
  });
});

// Built by scripts/setup.sh (CI runs it first); a machine without it fails here with what to run.
describe.skipIf(Boolean(sandboxUnavailableReason()))("the built-in code-interpreter template", () => {
  test("runs generated data code: numpy, pandas, matplotlib, scikit-learn, e2b-charts", async () => {
    await using sandbox = await Sandbox.create({ template: "code-interpreter", limits: { execTimeoutMs: 60_000 } });
    const execution = await sandbox.runCode(`
import numpy as np, pandas as pd, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.linear_model import LinearRegression
from e2b_charts import chart_figure_to_dict
frame = pd.DataFrame({"x": np.arange(10), "y": 2 * np.arange(10) + 1})
model = LinearRegression().fit(frame[["x"]], frame["y"])
figure = plt.figure()
plt.plot(frame.x, frame.y)
print(round(float(model.coef_[0]), 3), chart_figure_to_dict(figure)["type"].value)
`);
    expect(execution.error).toBeNull();
    expect(stdoutOf(execution)).toBe("2.0 line\n");
  });
});

describe.skipIf(Boolean(sandboxUnavailableReason()))("the E2B API with a template", () => {
  const template = templateForSuite();

  test("the E2B API gives it to every client's sandbox", async () => {
    const store = RunStore.open(":memory:");
    const server = await startTestServer(store, { e2bTemplate: template.built });
    try {
      const response = await fetch(new URL("execute", server.e2bUrl as string), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: "import pyfiglet; pyfiglet.__name__" }),
      });
      const lines = (await response.text())
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines.find((line) => line.type === "error")).toBeUndefined();
      expect(lines.find((line) => line.type === "result")?.text).toBe("pyfiglet");
    } finally {
      await server.close();
      store.close();
    }
  });
});
