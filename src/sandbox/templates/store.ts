import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { templateCacheDir } from "../../cache-dirs.ts";
import { LitmusError, messageOf } from "../../errors.ts";
import { checkTemplateName, checkTemplateSpec, type TemplateSpec } from "./spec.ts";

/** Bumped when the layout of a built template changes: older builds are then built again. */
const FORMAT = 1;
const MANIFEST = "manifest.json";

/** A built template: where it is and what is in it. */
export interface BuiltTemplate {
  name: string;
  /** The content address: a digest of the format, the Python it was built for and its requirements. */
  key: string;
  /** The directory mounted into sandboxes: its `site-packages/` holds the packages, `site-packages/bin` their commands. */
  path: string;
  python: string;
  requirements: string[];
  /** Every distribution installed, dependencies included. */
  installed: Array<{ name: string; version: string }>;
  sizeBytes: number;
  builtAt: string;
}

/** What a build is doing: collecting packages (one line per package pip resolves), installing, done. */
export interface TemplateBuildProgress {
  phase: "collecting" | "installing" | "done";
  /** Packages collected so far (dependencies included). */
  collected: number;
  /** The package pip is on, when it says. */
  current?: string;
}

const targets = new Map<string, Promise<string>>();

/** The Python a template is built for: `3.11-x86_64`, asked of the interpreter once per process. */
function pythonTarget(python: string): Promise<string> {
  let target = targets.get(python);
  if (!target) {
    target = askTarget(python);
    targets.set(python, target);
    target.catch(() => targets.delete(python));
  }
  return target;
}

async function askTarget(python: string): Promise<string> {
  const { stdout } = await promisify(execFile)(python, [
    "-I",
    "-c",
    "import platform, sys; print('%d.%d-%s' % (sys.version_info[0], sys.version_info[1], platform.machine()))",
  ]);
  return stdout.trim();
}

function keyOf(spec: TemplateSpec, target: string): string {
  const digest = createHash("sha256").update(
    JSON.stringify({ format: FORMAT, target, requirements: spec.requirements }),
  );
  return digest.digest("hex").slice(0, 16);
}

/** The build of `spec` for `python` if there is one (null otherwise). */
export async function findTemplate(
  spec: TemplateSpec,
  python: string,
  cacheDir = templateCacheDir(),
): Promise<BuiltTemplate | null> {
  const checked = checkTemplateSpec(spec);
  const key = keyOf(checked, await pythonTarget(python));
  return readManifest(join(cacheDir, checked.name, key));
}

async function readManifest(directory: string): Promise<BuiltTemplate | null> {
  try {
    return { ...(JSON.parse(await readFile(join(directory, MANIFEST), "utf8")) as BuiltTemplate), path: directory };
  } catch {
    return null;
  }
}

/**
 * Builds `spec` for `python` (the sandbox's interpreter, so wheels fit its ABI) unless it is built already:
 * pip installs the requirements into a directory beside the final one, which is renamed into place only once
 * everything is installed and described. A failed or interrupted build leaves no template behind.
 */
export async function buildTemplate(
  spec: TemplateSpec,
  options: {
    python: string;
    cacheDir?: string;
    onProgress?: (progress: TemplateBuildProgress) => void;
    signal?: AbortSignal;
  },
): Promise<BuiltTemplate> {
  const checked = checkTemplateSpec(spec);
  const cacheDir = options.cacheDir ?? templateCacheDir();
  const target = await pythonTarget(options.python);
  const key = keyOf(checked, target);
  const final = join(cacheDir, checked.name, key);
  const existing = await readManifest(final);
  if (existing) return existing;
  await mkdir(join(cacheDir, checked.name), { recursive: true });
  const partial = join(cacheDir, checked.name, `.building-${key}-${randomBytes(4).toString("hex")}`);
  try {
    await mkdir(partial);
    await writeFile(join(partial, "requirements.txt"), `${checked.requirements.join("\n")}\n`);
    await pipInstall(options.python, partial, options.onProgress, options.signal);
    const sitePackages = join(partial, "site-packages");
    const manifest: Omit<BuiltTemplate, "path"> = {
      name: checked.name,
      key,
      python: target,
      requirements: checked.requirements,
      installed: await installedDistributions(sitePackages),
      sizeBytes: await directorySize(partial),
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await makeReadableByAll(partial);
    await rename(partial, final).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same build first: its template is as good as this one.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
    options.onProgress?.({ phase: "done", collected: manifest.installed.length });
    return (await readManifest(final)) as BuiltTemplate;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

async function pipInstall(
  python: string,
  directory: string,
  onProgress: ((progress: TemplateBuildProgress) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const args = [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--no-input",
    "--no-warn-script-location",
    "--progress-bar",
    "off",
    // Wheels only: a source distribution would run its build code on the host, outside any sandbox.
    "--only-binary=:all:",
    "--target",
    join(directory, "site-packages"),
    "--requirement",
    join(directory, "requirements.txt"),
  ];
  const child = spawn(python, args, { stdio: ["ignore", "pipe", "pipe"], ...(signal ? { signal } : {}) });
  let collected = 0;
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 12) tail.shift();
  };
  createInterface({ input: child.stdout }).on("line", (line) => {
    remember(line);
    // "Collecting NAME" from an index, "Processing PATH" from a local wheel (a mirror in pip's configuration).
    const collecting = /^(?:Collecting|Processing) (\S+)/.exec(line);
    if (collecting) {
      onProgress?.({ phase: "collecting", collected: ++collected, current: basename(collecting[1] as string) });
    } else if (line.startsWith("Installing collected packages")) onProgress?.({ phase: "installing", collected });
  });
  createInterface({ input: child.stderr }).on("line", remember);
  const code = await new Promise<number | null>((resolve) => {
    child.once("close", resolve);
    child.once("error", () => resolve(null));
  });
  if (signal?.aborted) throw new LitmusError("ABORTED", "the template build was stopped; nothing was kept");
  if (code !== 0) {
    throw new LitmusError(
      "SANDBOX_UNAVAILABLE",
      `the template build failed: \`${python} -m pip install\` exited with ${code ?? "an error"}: ` +
        `${tail
          .filter((line) => line.trim() !== "")
          .slice(-4)
          .join(" | ")}. Check that pip can reach PyPI ` +
        "and that every requirement has a wheel for this Python; nothing was kept",
    );
  }
}

/** The distributions in a site-packages directory, from their .dist-info names. */
async function installedDistributions(sitePackages: string): Promise<Array<{ name: string; version: string }>> {
  const entries = await readdir(sitePackages).catch(() => []);
  return entries
    .map((entry) => /^(.+)-([^-]+)\.dist-info$/.exec(entry))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ name: (match[1] as string).replaceAll("_", "-").toLowerCase(), version: match[2] as string }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Sandboxes may run as other uids (as root, each has its own): everything in a template is readable by all,
 * directories and executables searchable, whatever umask pip ran under. Nothing is made writable.
 */
async function makeReadableByAll(directory: string): Promise<void> {
  await chmod(directory, 0o755);
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) continue;
    const { mode } = await stat(path);
    const searchable = entry.isDirectory() || (mode & 0o100) !== 0;
    await chmod(path, (mode & 0o7777) | 0o444 | (searchable ? 0o111 : 0));
  }
}

async function directorySize(directory: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Every built template, by name then build time. */
export async function listTemplates(cacheDir = templateCacheDir()): Promise<BuiltTemplate[]> {
  const built: BuiltTemplate[] = [];
  for (const name of await readdir(cacheDir).catch(() => [])) {
    for (const key of await readdir(join(cacheDir, name)).catch(() => [])) {
      if (key.startsWith(".")) continue;
      const manifest = await readManifest(join(cacheDir, name, key));
      if (manifest) built.push(manifest);
    }
  }
  return built.sort((a, b) => a.name.localeCompare(b.name) || a.builtAt.localeCompare(b.builtAt));
}

/** Removes every build of the template `name` (and any build of it left half done); how many were removed. */
export async function removeTemplate(name: string, cacheDir = templateCacheDir()): Promise<number> {
  const directory = join(cacheDir, checkTemplateName(name));
  const builds = (await readdir(directory).catch(() => [])).filter((entry) => !entry.startsWith("."));
  try {
    await rm(directory, { recursive: true, force: true });
  } catch (error) {
    throw new LitmusError("INTERNAL", `could not remove template ${name}: ${messageOf(error)}`, { cause: error });
  }
  return builds.length;
}

/**
 * The directory of the template a sandbox asks for by name: a built-in's build for this Python (its spec
 * decides which), or the newest build of a template of one's own.
 */
export async function resolveTemplate(
  name: string,
  python: string,
  builtins: readonly TemplateSpec[],
  cacheDir = templateCacheDir(),
): Promise<BuiltTemplate> {
  const builtin = builtins.find((spec) => spec.name === checkTemplateName(name));
  const found = builtin
    ? await findTemplate(builtin, python, cacheDir)
    : ((await listTemplates(cacheDir)).filter((template) => template.name === name).at(-1) ?? null);
  if (!found) {
    throw new LitmusError(
      "NOT_FOUND",
      `template ${name} is not built here: run \`litmus template build ${name}${builtin ? "" : " --from REQUIREMENTS"}\` first`,
    );
  }
  return found;
}
