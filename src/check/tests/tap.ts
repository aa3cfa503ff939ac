import type { TestOutcome } from "./suite.ts";

const RESULT = /^(\s*)(not )?ok \d+ - (.*?)(?:\s+# (SKIP|TODO)\b.*)?$/;

interface Pending extends TestOutcome {
  indent: number;
  /** Results nested under this one arrived before it: it is a suite, not a test. */
  parent: boolean;
}

/**
 * The tests of a TAP report from `node --test --test-reporter=tap`: leaf results only, a nested test named
 * after its suites ("math > adds"), with its failure message and line from the YAML block under it. Skipped
 * and TODO tests are left out.
 */
export function testsOfTap(tap: string): TestOutcome[] {
  const lines = tap.split("\n");
  const results: Pending[] = [];
  lines.forEach((line, at) => {
    const match = RESULT.exec(line);
    if (!match) return;
    const indent = match[1]?.length ?? 0;
    const name = unescapeTapName(match[3] ?? "");
    // Every result since the last one at this depth or shallower is nested under this one.
    let parent = false;
    for (let index = results.length - 1; index >= 0; index--) {
      const earlier = results[index] as Pending;
      if (earlier.indent <= indent) break;
      if (earlier.indent > indent) {
        parent = true;
        earlier.name = `${name} > ${earlier.name}`;
      }
    }
    if (match[4]) return;
    const details = yamlBlock(lines, at + 1, indent);
    results.push({
      name,
      indent,
      parent,
      passed: !match[2],
      line: lineOf(details.location),
      ...(match[2] && details.error ? { message: details.error } : {}),
    });
  });
  return results
    .filter((result) => !result.parent)
    .map(({ name, line, passed, message }) => ({ name, line, passed, ...(message ? { message } : {}) }));
}

/** `location` and `error` of the YAML block (`  ---` ... `  ...`) right under a result line. */
function yamlBlock(lines: string[], from: number, indent: number): { location?: string; error?: string } {
  const pad = " ".repeat(indent + 2);
  if (lines[from] !== `${pad}---`) return {};
  const found: { location?: string; error?: string } = {};
  for (let at = from + 1; at < lines.length && lines[at] !== `${pad}...`; at++) {
    const line = lines[at] ?? "";
    const field = /^\s*(location|error):\s*(.*)$/.exec(line);
    if (!field || !line.startsWith(pad) || line.startsWith(`${pad} `)) continue;
    const key = field[1] as "location" | "error";
    let value = field[2] ?? "";
    if (/^[|>][-+]?$/.test(value)) {
      // A block scalar (`|-`): its lines are the ones indented deeper than the key, joined into one.
      const block: string[] = [];
      for (let next = at + 1; next < lines.length && (lines[next] ?? "").startsWith(`${pad}  `); next++) {
        const text = (lines[next] ?? "").trim();
        if (text) block.push(text);
      }
      value = block.join(" ");
    }
    found[key] = value.replace(/^'(.*)'$/, "$1").replace(/''/g, "'");
  }
  return found;
}

function lineOf(location: string | undefined): number | null {
  const match = location ? /:(\d+):\d+$/.exec(location) : null;
  return match ? Number(match[1]) : null;
}

function unescapeTapName(name: string): string {
  return name.replace(/\\#/g, "#").replace(/\\\\/g, "\\");
}
