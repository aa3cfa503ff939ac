import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LitmusError } from "../../errors.ts";
import { SANDBOX_NODE } from "../../sandbox/index.ts";
import { SKIPPED_DIRECTORIES } from "../skipped-directories.ts";

/** How a project's tests are run, and how their output is read. */
export interface TestRunner {
  name: "pytest" | "node-test" | "npm-test" | "go-test" | "command";
  /** The shell command, run in the project's copy. */
  command: string;
}

const NPM_DEFAULT_TEST = 'echo "Error: no test specified" && exit 1';
const PYTHON_CONFIGS = ["pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "conftest.py"];

/**
 * The test runner of the project in `dir`, from its files: pytest for a Python project (a pytest
 * configuration or test_*.py / *_test.py files), `npm test` for a package.json with a test script, Node's test
 * runner for *.test.js / *.test.ts files, `go test` for a Go module. BAD_INPUT when none fits.
 */
export function detectRunner(dir: string): TestRunner {
  const packageJson = join(dir, "package.json");
  if (existsSync(packageJson)) {
    let manifest: { scripts?: { test?: string } };
    try {
      manifest = JSON.parse(readFileSync(packageJson, "utf8"));
    } catch (error) {
      throw new LitmusError("BAD_INPUT", `${packageJson} is not JSON: ${(error as Error).message}`);
    }
    const test = manifest.scripts?.test;
    if (test && test !== NPM_DEFAULT_TEST)
      return { name: "npm-test", command: "npm test --offline --no-update-notifier" };
  }
  const files = filesOf(dir, 3);
  if (
    PYTHON_CONFIGS.some((name) => existsSync(join(dir, name))) ||
    files.some((file) => /(^|\/)(test_\w+|\w+_test)\.py$/.test(file))
  ) {
    return { name: "pytest", command: "python3 -m pytest -rA -q --color=no -p no:cacheprovider" };
  }
  if (files.some((file) => /\.test\.(c|m)?[jt]s$/.test(file))) {
    return { name: "node-test", command: `${SANDBOX_NODE} --test --test-reporter=tap` };
  }
  if (existsSync(join(dir, "go.mod"))) return { name: "go-test", command: "go test ./..." };
  throw new LitmusError(
    "BAD_INPUT",
    `no test runner found in ${dir} (no pytest configuration or test files, no package.json test script, no *.test.js, no go.mod): give the command after --, like: litmus test ${dir} -- make test`,
  );
}

/** Files under `dir` (relative paths), down to `depth` levels, heavy directories left out. */
function filesOf(dir: string, depth: number, prefix = ""): string[] {
  if (depth < 0) return [];
  const found: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory() && !SKIPPED_DIRECTORIES.includes(entry.name)) found.push(...filesOf(dir, depth - 1, path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}
