import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  buildTemplate,
  checkTemplateSpec,
  findTemplate,
  listTemplates,
  parseRequirements,
  removeTemplate,
  type TemplateBuildProgress,
} from "../../src/sandbox/templates/index.ts";

// The sandbox's Python builds templates (its wheels must fit that interpreter); pip fetches from PyPI.
const PYTHON = "/usr/bin/python3";
const SMALL = { name: "small", description: "one small pure-Python package", requirements: ["iniconfig==2.0.0"] };

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
    expect(built.installed).toEqual([{ name: "iniconfig", version: "2.0.0" }]);
    expect(existsSync(join(built.path, "site-packages", "iniconfig", "__init__.py"))).toBe(true);
    expect(built.python).toMatch(/^3\.\d+-\w+$/);
    expect(progress.map((p) => p.phase)).toEqual(["collecting", "installing", "done"]);
    const again = await buildTemplate(SMALL, { python: PYTHON, cacheDir: dir, onProgress: (p) => progress.push(p) });
    expect(again).toEqual(built);
    expect(progress).toHaveLength(3);
    expect(await findTemplate(SMALL, PYTHON, dir)).toEqual(built);
    expect(await findTemplate({ ...SMALL, requirements: ["iniconfig==1.1.1"] }, PYTHON, dir)).toBeNull();
    expect((await listTemplates(dir)).map((t) => [t.name, t.key])).toEqual([["small", built.key]]);
    expect(await removeTemplate("small", dir)).toBe(1);
    expect(await listTemplates(dir)).toEqual([]);
  });

  test("a failed build leaves nothing behind and says why", async () => {
    const dir = await cacheDir();
    const broken = { ...SMALL, requirements: ["iniconfig==2.0.0", "litmus-no-such-package-anywhere==1.0.0"] };
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
