/**
 * Load test of the E2B-compatible API: many concurrent clients running code for a bounded time, then what was
 * left behind. Run: node bench/e2b-load.ts [--clients 16] [--seconds 10]
 *
 * Each client sends /execute requests back to back (quick arithmetic, output, a file written in /tmp, a
 * allocation), reading each NDJSON stream to its end. Before and after, it counts this machine's processes,
 * this process's open files and memory, and litmus's temporary directories: after the server is closed,
 * nothing of the run may remain.
 */
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../src/server/index.ts";
import { RunStore } from "../src/store/index.ts";

const { values } = parseArgs({
  options: { clients: { type: "string", default: "16" }, seconds: { type: "string", default: "10" } },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);

const WORK = [
  "sum(range(10_000))",
  "print('line\\n' * 200)",
  "open('/tmp/scratch.txt', 'w').write('x' * 1_000_000)",
  "data = bytearray(20_000_000); len(data)",
  "1 / 0",
];

function snapshot() {
  const processes = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).length;
  const fds = readdirSync("/proc/self/fd").length;
  const rssMiB = Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10;
  const tmp = readdirSync(tmpdir()).filter((name) => name.startsWith("litmus")).length;
  return { processes, fds, rssMiB, litmusTmpEntries: tmp };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

const before = snapshot();
const store = RunStore.open(":memory:");
const server = await startServer({
  store,
  artifactsDir: join(tmpdir(), "litmus-load-artifacts"),
  model: () => Promise.reject(new Error("no model in the load test")),
  port: 0,
  e2bPort: 0,
});
const url = `${server.e2bUrl}execute`;
const latencies: number[] = [];
const statuses = new Map<string, number>();
let errorsReported = 0;
const deadline = Date.now() + seconds * 1000;

await Promise.all(
  Array.from({ length: clients }, async (_, client) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const started = performance.now();
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer client-${client}` },
        body: JSON.stringify({ code: WORK[(client + n) % WORK.length] }),
      });
      const text = await response.text();
      latencies.push(performance.now() - started);
      statuses.set(String(response.status), (statuses.get(String(response.status)) ?? 0) + 1);
      if (text.includes('"type":"error"')) errorsReported++;
    }
  }),
);
const during = snapshot();
await server.close();
store.close();
await new Promise((resolve) => setTimeout(resolve, 1500));
const after = snapshot();
latencies.sort((a, b) => a - b);
const total = latencies.length;
const report = {
  clients,
  seconds,
  requests: total,
  perSecond: Math.round((total / seconds) * 10) / 10,
  statuses: Object.fromEntries(statuses),
  errorsReportedByCode: errorsReported,
  latencyMs: {
    p50: Math.round(percentile(latencies, 50)),
    p90: Math.round(percentile(latencies, 90)),
    p99: Math.round(percentile(latencies, 99)),
    max: Math.round(latencies.at(-1) ?? 0),
  },
  before,
  duringLoad: during,
  afterClose: after,
  leaked: {
    processes: after.processes - before.processes,
    fds: after.fds - before.fds,
    litmusTmpEntries: after.litmusTmpEntries - before.litmusTmpEntries,
  },
  loadavg: readFileSync("/proc/loadavg", "utf8").trim(),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
