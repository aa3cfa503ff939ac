/**
 * Load test of litmus serve: many concurrent clients, each with a token of its own, running code for a
 * bounded time, then what was left behind. Run: node --expose-gc bench/server-load.ts [--api e2b|mcp]
 * [--clients 16] [--seconds 10]
 *
 * Each client runs code back to back (quick arithmetic, output, a file written in /tmp, an allocation, an
 * error): on the E2B API, /execute requests read to the end of their NDJSON stream; over MCP, run_code calls
 * through the SDK's client, in a session of the client's own (every third call in a fresh sandbox instead).
 * Before and after, it counts this machine's processes, this process's open files and memory, and litmus's
 * temporary directories: after the server is closed, nothing of the run may remain.
 */

import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type RunningServer, startServer } from "../src/server/index.ts";
import { RunStore } from "../src/store/index.ts";

const { values } = parseArgs({
  options: {
    api: { type: "string", default: "e2b" },
    clients: { type: "string", default: "16" },
    seconds: { type: "string", default: "10" },
  },
});
const api = values.api;
if (api !== "e2b" && api !== "mcp") throw new Error(`--api is e2b or mcp, not "${api}"`);
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const tokens = Array.from({ length: clients }, (_, n) => ({
  name: `client-${n}`,
  token: randomBytes(18).toString("base64url"),
}));

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
  // With --expose-gc, the heap is measured after a full collection: what is still referenced, not garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const rssMiB = Math.round((memory.rss / 1024 / 1024) * 10) / 10;
  const heapUsedMiB = Math.round((memory.heapUsed / 1024 / 1024) * 10) / 10;
  const tmp = readdirSync(tmpdir()).filter((name) => name.startsWith("litmus"));
  return { processes, fds, rssMiB, heapUsedMiB, litmusTmpEntries: tmp.length, tmp };
}

/** This process's descendants, by command: what of the run is still alive. */
function descendants(): string[] {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const name of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      commands.set(
        Number(name),
        readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 80),
      );
    } catch {
      // gone while being read
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let at = parents.get(pid); at !== undefined && at > 1; at = parents.get(at))
      if (at === process.pid) return true;
    return false;
  };
  return [...commands].filter(([pid]) => isOurs(pid)).map(([, command]) => command);
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

/** One run of `code` by `client`: its latency, its status (HTTP, or the tool's outcome) and whether the code's error came back. */
type Run = (code: string, n: number) => Promise<{ status: string; codeError: boolean }>;

/** A client of the E2B API: /execute, read to the end of its stream. */
function e2bClient(server: RunningServer, token: string): Run {
  return async (code) => {
    const response = await fetch(`${server.e2bUrl}execute`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ code }),
    });
    const text = await response.text();
    return { status: String(response.status), codeError: text.includes('"type":"error"') };
  };
}

/** A client over MCP (the SDK's own): run_code in its session, every third call in a fresh sandbox. */
async function mcpClient(server: RunningServer, token: string): Promise<Run> {
  const client = new Client({ name: "load", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("mcp", server.url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  const created = (await client.callTool({ name: "create_session", arguments: {} })) as CallToolResult;
  const session = (created.content[0] as { text: string }).text.replace("session_id: ", "");
  return async (code, n) => {
    const result = (await client.callTool({
      name: "run_code",
      arguments: { code, ...(n % 3 === 2 ? {} : { session_id: session }) },
    })) as CallToolResult;
    const text = (result.content[0] as { text?: string } | undefined)?.text ?? "";
    const status = text.startsWith("refused:") ? "refused" : result.isError ? "code error" : "ok";
    return { status, codeError: text.includes("ZeroDivisionError") };
  };
}

const before = snapshot();
const store = RunStore.open(":memory:");
const server = await startServer({
  store,
  artifactsDir: join(tmpdir(), "litmus-load-artifacts"),
  model: () => Promise.reject(new Error("no model in the load test")),
  port: 0,
  e2bPort: 0,
  clients: tokens,
});
const runners = await Promise.all(
  tokens.map(({ token }) => (api === "e2b" ? e2bClient(server, token) : mcpClient(server, token))),
);
const latencies: number[] = [];
const statuses = new Map<string, number>();
let errorsReported = 0;
const deadline = Date.now() + seconds * 1000;

await Promise.all(
  runners.map(async (run, client) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const started = performance.now();
      const { status, codeError } = await run(WORK[(client + n) % WORK.length] as string, n);
      latencies.push(performance.now() - started);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (codeError) errorsReported++;
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
  api,
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
  before: { ...before, tmp: undefined },
  duringLoad: { ...during, tmp: undefined },
  afterClose: { ...after, tmp: undefined },
  stillRunning: descendants(),
  leaked: {
    processes: after.processes - before.processes,
    fds: after.fds - before.fds,
    litmusTmpEntries: after.tmp.filter((name) => !before.tmp.includes(name)),
  },
  loadavg: readFileSync("/proc/loadavg", "utf8").trim(),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
