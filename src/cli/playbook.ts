import { writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { LitmusError } from "../errors.ts";
import {
  applyDeltas,
  BULLET_STATUSES,
  type Bullet,
  type Delta,
  effectOf,
  emptyPlaybook,
  lexical,
  type Playbook,
  playbookAt,
  readPlaybook,
  retirements,
  rollback,
  SECTIONS,
  updatePlaybook,
  writePlaybook,
} from "../learn/index.ts";
import { nonNegativeInteger, positiveInteger, writeJson } from "./options.ts";

const CLI_SOURCE = { kind: "cli", step: null };

export function registerPlaybookCommand(program: Command): void {
  const playbook = program
    .command("playbook")
    .description("Read and manage a playbook file: show, diff, history, rollback, export, prune, merge");
  playbook
    .command("show")
    .description("The bullets by section, with their statistics")
    .argument("<file>", "a playbook file")
    .option("--all", "retired bullets too")
    .option("--at <version>", "the playbook as it was at this version", nonNegativeInteger)
    .option("--json", "print the playbook as JSON")
    .action(async (file: string, options: { all?: boolean; at?: number; json?: boolean }) => {
      const current = await readPlaybook(file);
      const shown = options.at === undefined ? current : playbookAt(current, options.at);
      if (options.json) writeJson(shown);
      else process.stdout.write(renderPlaybook(file, shown, options.all === true));
    });
  playbook
    .command("diff")
    .description("What changed between two versions of a playbook, or between two playbooks")
    .argument("<file>", "a playbook file")
    .argument("[other]", "a second playbook file (default: compare versions of the first)")
    .option("--from <n>", "the earlier version (default: the one before the last)", nonNegativeInteger)
    .option("--to <n>", "the later version (default: the latest)", nonNegativeInteger)
    .option("--json", "print the differences as JSON")
    .action(
      async (file: string, other: string | undefined, options: { from?: number; to?: number; json?: boolean }) => {
        const first = await readPlaybook(file);
        const [before, after] = other
          ? [first, await readPlaybook(other)]
          : [
              playbookAt(first, options.from ?? Math.max(0, first.version - 1)),
              playbookAt(first, options.to ?? first.version),
            ];
        const changes = diffPlaybooks(before, after);
        if (options.json) writeJson(changes);
        else process.stdout.write(renderDiff(changes));
      },
    );
  playbook
    .command("history")
    .description("The log of applied deltas, newest last")
    .argument("<file>", "a playbook file")
    .option("--limit <n>", "only the last n entries", positiveInteger)
    .option("--json", "print the entries as JSON")
    .action(async (file: string, options: { limit?: number; json?: boolean }) => {
      const { log } = await readPlaybook(file);
      const entries = options.limit ? log.slice(-options.limit) : log;
      if (options.json) writeJson(entries);
      else
        process.stdout.write(
          entries
            .map(
              (entry) =>
                `v${entry.version}  ${entry.at}  ${entry.source.kind}${entry.source.step ? ` ${entry.source.step}` : ""}  ${describeDelta(entry.delta)}\n`,
            )
            .join(""),
        );
    });
  playbook
    .command("rollback")
    .description("Return the playbook to an earlier version (logged: it can be undone by another rollback)")
    .argument("<file>", "a playbook file")
    .requiredOption("--to <n>", "the version to return to", nonNegativeInteger)
    .action(async (file: string, options: { to: number }) => {
      let before: Playbook | undefined;
      const after = await updatePlaybook(file, (playbook) => {
        before = playbook;
        return rollback(playbook, options.to, CLI_SOURCE);
      });
      if (before) process.stdout.write(renderDiff(diffPlaybooks(before, after)));
      process.stderr.write(
        `litmus playbook: ${file} is back at version ${options.to} (now version ${after.version})\n`,
      );
    });
  playbook
    .command("export")
    .description("A copy to share: selected bullets as a new playbook (statistics start afresh) or as Markdown")
    .argument("<file>", "a playbook file")
    .option("--status <list>", "bullets of these statuses", statusList, ["active"])
    .option("--format <format>", "json (a playbook) or markdown", "json")
    .option("--out <file>", "write there instead of stdout")
    .action(async (file: string, options: { status: Bullet["status"][]; format: string; out?: string }) => {
      if (options.format !== "json" && options.format !== "markdown")
        throw new LitmusError("BAD_INPUT", `--format must be json or markdown, not "${options.format}"`);
      const playbook = await readPlaybook(file);
      const bullets = playbook.bullets.filter((bullet) => options.status.includes(bullet.status));
      const text =
        options.format === "markdown"
          ? renderMarkdown(bullets)
          : `${JSON.stringify(copyOf(playbook.environment, bullets), null, 2)}\n`;
      if (options.out) await writeFile(options.out, text);
      else process.stdout.write(text);
    });
  playbook
    .command("prune")
    .description("Retire what the record says hurts, then remove retired bullets (logged)")
    .argument("<file>", "a playbook file")
    .option("--keep-retired", "retire, but keep retired bullets in the file")
    .option("--dry-run", "say what would change, change nothing")
    .action(async (file: string, options: { keepRetired?: boolean; dryRun?: boolean }) => {
      const prune = (playbook: Playbook): Playbook => {
        const retired = applyDeltas(playbook, retirements(playbook), CLI_SOURCE);
        if (options.keepRetired) return retired;
        const removals: Delta[] = retired.bullets
          .filter((bullet) => bullet.status === "retired")
          .map((bullet) => ({ op: "REMOVE", id: bullet.id, reason: "pruned: retired" }));
        return applyDeltas(retired, removals, CLI_SOURCE);
      };
      if (options.dryRun) {
        const playbook = await readPlaybook(file);
        process.stdout.write(renderDiff(diffPlaybooks(playbook, prune(playbook))));
        return;
      }
      let before: Playbook | undefined;
      const after = await updatePlaybook(file, (playbook) => {
        before = playbook;
        return prune(playbook);
      });
      if (before) process.stdout.write(renderDiff(diffPlaybooks(before, after)));
    });
  playbook
    .command("merge")
    .description("Merge playbooks into a new one: bullets saying the same thing are kept once")
    .argument("<files...>", "playbook files")
    .requiredOption("--out <file>", "the merged playbook")
    .action(async (files: string[], options: { out: string }) => {
      const playbooks = await Promise.all(files.map((file) => readPlaybook(file)));
      const merged = await mergePlaybooks(playbooks);
      await writePlaybook(options.out, merged);
      process.stderr.write(
        `litmus playbook: ${merged.bullets.length} bullets from ${files.length} playbooks written to ${options.out}\n`,
      );
    });
}

/** A fresh playbook holding `bullets` (same ids, sections, triggers and statuses; no statistics). */
function copyOf(environment: Playbook["environment"], bullets: Bullet[]): Playbook {
  return applyDeltas(
    emptyPlaybook(environment),
    bullets.map(({ id, status, stats: _stats, ...bullet }) => ({ op: "ADD", id, status, bullet })),
    { kind: "export", step: null },
  );
}

async function mergePlaybooks(playbooks: Playbook[]): Promise<Playbook> {
  const languages = new Set(playbooks.map((playbook) => playbook.environment.language));
  const environment = {
    language: languages.size === 1 ? (playbooks[0]?.environment.language ?? null) : null,
    tags: [...new Set(playbooks.flatMap((playbook) => playbook.environment.tags))],
  };
  let merged = emptyPlaybook(environment);
  for (const bullet of playbooks.flatMap((playbook) => playbook.bullets.filter((each) => each.status !== "retired"))) {
    let twin = false;
    for (const kept of merged.bullets) {
      if (kept.section === bullet.section && (await lexical.score(kept.content, bullet.content)) >= lexical.duplicateAt)
        twin = true;
    }
    if (twin) continue;
    const { id: _id, status, stats: _stats, ...draft } = bullet;
    merged = applyDeltas(merged, [{ op: "ADD", status, bullet: draft }], { kind: "merge", step: null });
  }
  return merged;
}

interface PlaybookDiff {
  from: number;
  to: number;
  added: Bullet[];
  removed: Bullet[];
  changed: { id: string; changes: string[] }[];
}

function diffPlaybooks(before: Playbook, after: Playbook): PlaybookDiff {
  const old = new Map(before.bullets.map((bullet) => [bullet.id, bullet]));
  const next = new Map(after.bullets.map((bullet) => [bullet.id, bullet]));
  const changed: PlaybookDiff["changed"] = [];
  for (const [id, bullet] of next) {
    const was = old.get(id);
    if (!was) continue;
    const changes: string[] = [];
    if (was.status !== bullet.status) changes.push(`status ${was.status} -> ${bullet.status}`);
    if (was.content !== bullet.content) changes.push(`content "${was.content}" -> "${bullet.content}"`);
    if (was.snippet !== bullet.snippet) changes.push("snippet changed");
    const newErrors = bullet.triggers.errors.filter((error) => !was.triggers.errors.includes(error));
    if (newErrors.length) changes.push(`new triggers ${newErrors.join(", ")}`);
    for (const key of ["shown", "passedWhenShown", "helpful", "harmful", "failedTrials"] as const) {
      if (was.stats[key] !== bullet.stats[key]) changes.push(`${key} ${was.stats[key]} -> ${bullet.stats[key]}`);
    }
    if (changes.length) changed.push({ id, changes });
  }
  return {
    from: before.version,
    to: after.version,
    added: [...next.values()].filter((bullet) => !old.has(bullet.id)),
    removed: [...old.values()].filter((bullet) => !next.has(bullet.id)),
    changed,
  };
}

function renderDiff(diff: PlaybookDiff): string {
  const lines = [`version ${diff.from} -> ${diff.to}`];
  for (const bullet of diff.added) lines.push(`+ ${bullet.id} [${bullet.status}] ${bullet.content}`);
  for (const bullet of diff.removed) lines.push(`- ${bullet.id} [${bullet.status}] ${bullet.content}`);
  for (const change of diff.changed) lines.push(`~ ${change.id}: ${change.changes.join("; ")}`);
  if (lines.length === 1) lines.push("  (no change to the bullets)");
  return `${lines.join("\n")}\n`;
}

function renderPlaybook(file: string, playbook: Playbook, all: boolean): string {
  const count = (status: Bullet["status"]) => playbook.bullets.filter((bullet) => bullet.status === status).length;
  const { runs, passed } = playbook.counters;
  const environment = [playbook.environment.language ?? "any language", ...playbook.environment.tags].join("; ");
  const lines = [
    `${file}: version ${playbook.version}; ${count("active")} active, ${count("candidate")} candidate, ${count("retired")} retired (${environment}); ${runs} runs observed${runs ? `, ${Math.round((100 * passed) / runs)}% passed` : ""}`,
  ];
  for (const section of SECTIONS) {
    const bullets = playbook.bullets.filter(
      (bullet) => bullet.section === section && (all || bullet.status !== "retired"),
    );
    if (bullets.length === 0) continue;
    lines.push("", section);
    for (const bullet of bullets) {
      const { stats } = bullet;
      const effect = stats.shown > 0 ? `, effect ${signed(effectOf(bullet, playbook))}` : "";
      lines.push(`  ${bullet.id} [${bullet.status}] ${bullet.content}`);
      if (bullet.snippet)
        lines.push(
          ...bullet.snippet
            .trimEnd()
            .split("\n")
            .map((line) => `      ${line}`),
        );
      lines.push(
        `      shown ${stats.shown} (passed ${stats.passedWhenShown}), helpful ${stats.helpful}, harmful ${stats.harmful}${stats.failedTrials ? `, failed trials ${stats.failedTrials}` : ""}${effect}; from ${bullet.provenance.tasks.slice(0, 3).join(", ")} by ${bullet.provenance.reflector}`,
      );
      if (bullet.triggers.errors.length) lines.push(`      triggers: ${bullet.triggers.errors.join(" | ")}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function renderMarkdown(bullets: Bullet[]): string {
  const lines = ["# Playbook", ""];
  for (const section of SECTIONS) {
    const inSection = bullets.filter((bullet) => bullet.section === section);
    if (inSection.length === 0) continue;
    lines.push(`## ${section[0]?.toUpperCase()}${section.slice(1)}`, "");
    for (const bullet of inSection) {
      lines.push(`- **${bullet.id}** ${bullet.content}`);
      if (bullet.snippet)
        lines.push(
          "",
          "  ```",
          ...bullet.snippet
            .trimEnd()
            .split("\n")
            .map((line) => `  ${line}`),
          "  ```",
          "",
        );
    }
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function describeDelta(delta: Playbook["log"][number]["delta"]): string {
  switch (delta.op) {
    case "ADD":
      return `ADD ${delta.id} [${delta.status}] ${delta.bullet.content}`;
    case "UPDATE":
      return `UPDATE ${delta.id}${delta.status ? ` -> ${delta.status}` : ""}: ${delta.reason}`;
    case "TAG":
      return `TAG ${delta.id} ${delta.tag}: ${delta.reason}`;
    case "REMOVE":
      return `REMOVE ${delta.id}: ${delta.reason}`;
    case "OBSERVE":
      return `OBSERVE ${delta.passed ? "passed" : "failed"} with ${delta.shown.length ? delta.shown.join(", ") : "no bullets"}`;
    case "ROLLBACK":
      return `ROLLBACK to version ${delta.to}`;
    default:
      delta satisfies never;
      return "";
  }
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;
}

function statusList(value: string): Bullet["status"][] {
  const statuses = value.split(",").map((item) => item.trim());
  for (const status of statuses)
    if (!(BULLET_STATUSES as readonly string[]).includes(status))
      throw new InvalidArgumentError(`unknown status "${status}"; use ${BULLET_STATUSES.join(", ")}`);
  return statuses as Bullet["status"][];
}
