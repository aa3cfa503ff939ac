import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { LitmusError } from "../errors.ts";
import { emptyPlaybook, PLAYBOOK_FORMAT, PLAYBOOK_SCHEMA_VERSION, type Playbook, PlaybookSchema } from "./playbook.ts";

/** Reads and validates a playbook file; a clear error says what is wrong and where. */
export async function readPlaybook(path: string): Promise<Playbook> {
  const text = await readPlaybookText(path);
  if (text === null) {
    throw new LitmusError(
      "BAD_INPUT",
      `no playbook at ${path} (litmus learn creates one; check the path, or start one with litmus learn --playbook ${path})`,
    );
  }
  return parsePlaybook(text, path);
}

async function readPlaybookText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new LitmusError("BAD_INPUT", `cannot read the playbook ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A playbook from its JSON text; `source` names it in errors. */
export function parsePlaybook(text: string, source: string): Playbook {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `${source} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const format = (data as { format?: unknown; schemaVersion?: unknown } | null) ?? {};
  if (format.format !== PLAYBOOK_FORMAT) {
    throw new LitmusError("BAD_INPUT", `${source} is not a litmus playbook (its "format" is not "${PLAYBOOK_FORMAT}")`);
  }
  if (typeof format.schemaVersion === "number" && format.schemaVersion > PLAYBOOK_SCHEMA_VERSION) {
    throw new LitmusError(
      "BAD_INPUT",
      `${source} has schema version ${format.schemaVersion}; this litmus reads up to ${PLAYBOOK_SCHEMA_VERSION}: upgrade litmus`,
    );
  }
  const parsed = PlaybookSchema.safeParse(data);
  if (!parsed.success) {
    throw new LitmusError("BAD_INPUT", `${source} is not a valid playbook:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Reads the playbook at `path`, or a new empty one when there is no file yet. */
export async function readOrCreatePlaybook(
  path: string,
  environment: Partial<Playbook["environment"]> = {},
): Promise<Playbook> {
  const text = await readPlaybookText(path);
  return text === null ? emptyPlaybook(environment) : parsePlaybook(text, path);
}

/**
 * Writes a playbook atomically: a temporary file in the same folder, flushed to disk, then renamed over the
 * old one. A crash leaves either the old playbook or the new one, never half of one.
 */
export async function writePlaybook(path: string, playbook: Playbook): Promise<void> {
  PlaybookSchema.parse(playbook);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(temporary, "w");
  try {
    await file.writeFile(`${JSON.stringify(playbook, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new LitmusError("BAD_INPUT", `cannot write the playbook ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const LOCK_WAIT_MS = 30_000;

/**
 * Reads the playbook, changes it and writes it back while holding `PATH.lock`, so two processes learning
 * into one playbook never lose each other's deltas. A lock left by a dead process is taken over.
 */
export async function updatePlaybook(
  path: string,
  update: (playbook: Playbook) => Playbook | Promise<Playbook>,
  environment: Partial<Playbook["environment"]> = {},
): Promise<Playbook> {
  const release = await lock(`${path}.lock`);
  try {
    const next = await update(await readOrCreatePlaybook(path, environment));
    await writePlaybook(path, next);
    return next;
  } finally {
    await release();
  }
}

async function lock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const file = await open(lockPath, "wx");
      await file.writeFile(String(process.pid));
      await file.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (!(await holderAlive(lockPath))) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new LitmusError(
        "BAD_INPUT",
        `the playbook is locked by another litmus process (${lockPath}); wait for it, or delete the lock if no litmus is running`,
      );
    }
    await sleep(50);
  }
}

async function holderAlive(lockPath: string): Promise<boolean> {
  const pid = Number(await readFile(lockPath, "utf8").catch(() => ""));
  // An empty lock is being written right now: treat it as held.
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
