import { execFile } from "node:child_process";
import { existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { LitmusError } from "../../errors.ts";
import { SANDBOX_NODE, Sandbox } from "../../sandbox/index.ts";
import { SKIPPED_DIRECTORIES } from "../skipped-directories.ts";
import { detectRunner, type TestRunner } from "./detect-runner.ts";
import { readTestResults, type TestCounts } from "./read-results.ts";

const execFileAsync = promisify(execFile);

export interface ProjectTestOptions {
  /** The project directory. */
  dir: string;
  /** The shell command that runs the tests; default: detected from the project's files. */
  command?: string;
  /** Limit of the whole test run. Default 10 minutes. */
  timeoutMs?: number;
  /** Memory of the sandbox (its copy of the project lives in memory too). Default 2 GiB. */
  memoryBytes?: number;
  signal?: AbortSignal;
  /** The run's output as it comes. */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

export interface ProjectTestReport {
  dir: string;
  runner: TestRunner["name"];
  command: string;
  exitCode: number;
  timedOut: boolean;
  /** Counts and failures read from the output; null when the output is in no format litmus reads. */
  results: TestCounts | null;
  /** The output passed the sandbox's output limit and was cut: counts read from it may be incomplete. */
  truncated: boolean;
  /**
   * Where the project was inside the sandbox; the directories shown read-only from the host; the ones left out
   * because the sandbox's user may not read them (a project under /root).
   */
  workspace: { path: string; readOnly: string[]; missing: string[] };
  stdout: string;
  stderr: string;
  durationMs: number;
}

const WORKSPACE = "/home/user/project";
const MiB = 1024 * 1024;
/** The project's archive goes into the sandbox in parts of this size (one message each). */
const PART_BYTES = 32 * MiB;

/**
 * Runs a project's tests in a sandbox: no network, the usual limits, nothing of the host but the project. The
 * project is copied into the sandbox's own writable workspace (the tests may write where they like; the host's
 * files never change); its dependency and version-control directories (node_modules, .venv, .git) are shown
 * read-only in place instead, when the sandbox's user may read them.
 */
export async function runProjectTests(options: ProjectTestOptions): Promise<ProjectTestReport> {
  const started = performance.now();
  const dir = resolve(options.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new LitmusError("BAD_INPUT", `${options.dir}: not a directory`);
  const runner: TestRunner = options.command ? { name: "command", command: options.command } : detectRunner(dir);
  // lstat, not stat: a project (perhaps untrusted) whose node_modules is a symlink to /home/alice must not get
  // alice's home mounted. A symlinked heavy directory is neither mounted nor copied (tar keeps it a link).
  const heavy = SKIPPED_DIRECTORIES.filter((name) =>
    lstatSync(join(dir, name), { throwIfNoEntry: false })?.isDirectory(),
  );
  const mountable = heavy.filter((name) => readableByOthers(join(dir, name)));
  const unmounted = heavy.filter((name) => !mountable.includes(name));
  await using sandbox = await Sandbox.create({
    timeoutMs: 0,
    mounts: mountable.map((name) => ({ source: join(dir, name), target: `${WORKSPACE}/${name}` })),
    limits: {
      execTimeoutMs: options.timeoutMs ?? 600_000,
      memoryBytes: options.memoryBytes ?? 2048 * MiB,
      // Room for the archive and the copy, and as much again for what the tests write.
      diskBytes: Math.max(256 * MiB, 3 * sizeOf(dir, heavy) + 64 * MiB),
      processes: 512,
    },
    envs: {
      // Node.js 24 first, for `node` and for npm's `#!/usr/bin/env node`; CI=true for quiet, non-interactive tools.
      PATH: `${dirname(SANDBOX_NODE)}:/usr/local/bin:/usr/bin:/bin`,
      CI: "true",
      npm_config_update_notifier: "false",
    },
    ...(options.signal ? { signal: options.signal } : {}),
    metadata: { purpose: "litmus test", project: dir },
  });
  await copyInto(sandbox, dir, heavy);
  const run = await sandbox.commands.run(runner.command, {
    cwd: WORKSPACE,
    timeoutMs: options.timeoutMs ?? 600_000,
    ...(options.onStdout ? { onStdout: options.onStdout } : {}),
    ...(options.onStderr ? { onStderr: options.onStderr } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    dir,
    runner: runner.name,
    command: runner.command,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    results: readTestResults(run.stdout),
    truncated: run.truncated,
    workspace: {
      path: WORKSPACE,
      readOnly: mountable.map((name) => `${WORKSPACE}/${name}`),
      missing: unmounted.map((name) => `${WORKSPACE}/${name}`),
    },
    stdout: run.stdout,
    stderr: run.stderr,
    durationMs: performance.now() - started,
  };
}

/**
 * Copies the project, heavy directories left out, into the workspace: archived here by tar (this process may
 * read what the sandbox's user may not), written in parts through the sandbox's file API, unpacked inside.
 */
async function copyInto(sandbox: Sandbox, dir: string, heavy: string[]): Promise<void> {
  const excludes = heavy.map((name) => `--exclude=./${name}`);
  let archive: Buffer;
  try {
    ({ stdout: archive } = await execFileAsync("tar", ["-C", dir, ...excludes, "-cf", "-", "."], {
      encoding: "buffer",
      maxBuffer: 4096 * MiB,
    }));
  } catch (error) {
    // tar says why on stderr (a file it may not read); the error's own message only names the command.
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message.split("\n")[0];
    throw new LitmusError("BAD_INPUT", `cannot archive ${dir} for the sandbox: ${why}`);
  }
  const parts: string[] = [];
  for (let offset = 0; offset < archive.length || parts.length === 0; offset += PART_BYTES) {
    const part = `/tmp/litmus-project.tar.${String(parts.length).padStart(4, "0")}`;
    await sandbox.files.write(part, archive.subarray(offset, offset + PART_BYTES));
    parts.push(part);
  }
  const unpacked = await sandbox.commands.run(
    `mkdir -p ${WORKSPACE} && cat ${parts.join(" ")} | tar -C ${WORKSPACE} -xf - && rm -f ${parts.join(" ")}`,
    { timeoutMs: 300_000 },
  );
  if (unpacked.exitCode !== 0) {
    throw new LitmusError("SANDBOX_UNAVAILABLE", `unpacking ${dir} in the sandbox failed: ${unpacked.stderr.trim()}`);
  }
}

/**
 * Whether a sandbox's user may read `path`: as root, sandboxes run as an unprivileged uid of their own, which
 * needs every directory above to be searchable by others; otherwise they run as this user.
 */
function readableByOthers(path: string): boolean {
  if (process.getuid?.() !== 0) return true;
  if ((statSync(path).mode & 0o005) !== 0o005) return false;
  for (let parent = dirname(path); ; parent = dirname(parent)) {
    if ((statSync(parent).mode & 0o001) === 0) return false;
    if (parent === dirname(parent)) return true;
  }
}

/** Bytes of the files under `dir`, the heavy top-level directories left out (they are not copied). */
function sizeOf(dir: string, skipped: string[], top = true): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (top && skipped.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path, skipped, false);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}
