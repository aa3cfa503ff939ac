/**
 * Start-up of the litmus command as whole processes, against the floor of the same machine in the same run:
 * `node -e 0` (Node.js itself) and `python3 hello.py` (the interpreter the sandbox runs). Commands are
 * interleaved round by round so machine noise hits all alike; medians are reported.
 *
 *   node bench/startup.ts [--rounds 21] [--json] [-- LITMUS...]
 *
 * LITMUS is how to start litmus, default `node bin/litmus.js` (a checkout: the TypeScript sources). To measure
 * what users get, point it at an installed package: `-- /tmp/app/node_modules/.bin/litmus`. The first round
 * is a warm-up (it fills the compile cache) and is not counted. Targets (issue 16): --help and --version at most
 * 120 ms, `run hello.py` at most 200 ms.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { percentile, round } from "../src/bench/stats.ts";

const { values, positionals } = parseArgs({
  options: { rounds: { type: "string", default: "21" }, json: { type: "boolean", default: false } },
  allowPositionals: true,
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a positive integer, not ${values.rounds}`);

const node = process.execPath;
const litmus = positionals.length > 0 ? positionals : [node, "bin/litmus.js"];
// The system interpreter: a pyenv shim on PATH starts ten times slower and would flatter litmus.
const python = realpathSync("/usr/bin/python3");
const work = mkdtempSync(join(tmpdir(), "litmus-startup-"));
const hello = join(work, "hello.py");
writeFileSync(hello, 'print("hello")\n');

const COMMANDS: { name: string; argv: string[]; target?: number }[] = [
  { name: "node -e 0", argv: [node, "-e", "0"] },
  { name: "python3 hello.py", argv: [python, hello] },
  { name: "litmus --version", argv: [...litmus, "--version"], target: 120 },
  { name: "litmus --help", argv: [...litmus, "--help"], target: 120 },
  { name: "litmus run hello.py", argv: [...litmus, "run", hello], target: 200 },
];

/** Wall time of one whole process in ms; it must succeed, or the measurement means nothing. */
function wallMs(argv: string[]): number {
  const [command = "", ...args] = argv;
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed (${result.status}): ${result.stderr}`);
  return elapsed;
}

const samples = new Map(COMMANDS.map((command) => [command.name, [] as number[]]));
try {
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 0 ? COMMANDS : [...COMMANDS].reverse();
    for (const command of order) {
      const ms = wallMs(command.argv);
      if (round > 0) samples.get(command.name)?.push(ms);
    }
    if (!values.json) process.stderr.write(`\rround ${round}/${rounds}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (!values.json) process.stderr.write("\n");

const results = COMMANDS.map((command) => {
  const times = samples.get(command.name) ?? [];
  const median = round(percentile(times, 0.5), 1);
  return {
    command: command.name,
    medianMs: median,
    p90Ms: round(percentile(times, 0.9), 1),
    ...(command.target === undefined ? {} : { targetMs: command.target, met: median <= command.target }),
  };
});
if (values.json) {
  process.stdout.write(`${JSON.stringify({ litmus: litmus.join(" "), rounds, results }, null, 2)}\n`);
} else {
  console.log(`litmus: ${litmus.join(" ")}; ${rounds} rounds, medians`);
  for (const result of results) {
    const verdict = "met" in result ? ` (target ${result.targetMs} ms: ${result.met ? "met" : "MISSED"})` : "";
    console.log(
      `${result.command.padEnd(22)} ${String(result.medianMs).padStart(7)} ms  p90 ${result.p90Ms} ms${verdict}`,
    );
  }
}
