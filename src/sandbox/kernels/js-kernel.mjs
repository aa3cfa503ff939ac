// litmus JavaScript / TypeScript kernel: runs cells in one persistent global scope, like a notebook.
// Requests arrive as JSON lines on fd 3, events leave on fd 4; user code keeps the real stdout/stderr.
// TypeScript is type-stripped by Node itself (module.stripTypeScriptTypes), so no compiler is mounted.
import { createReadStream, writeSync } from "node:fs";
import { createRequire, stripTypeScriptTypes } from "node:module";
import { createInterface } from "node:readline";
import { inspect } from "node:util";
import vm from "node:vm";

const language = process.argv[2] ?? "javascript";
const requestStream = createReadStream("", { fd: 3 });
const eventFd = 4;

globalThis.require = createRequire(`${process.cwd()}/`);

function send(message) {
  writeSync(eventFd, `${JSON.stringify(message)}\n`);
}

function errorOf(thrown) {
  if (thrown instanceof Error || (thrown && typeof thrown === "object" && "stack" in thrown)) {
    return { name: thrown.name ?? "Error", value: thrown.message ?? String(thrown), traceback: thrown.stack ?? "" };
  }
  return { name: "Error", value: inspect(thrown), traceback: "" };
}

function formatResult(value) {
  const result = {
    text: typeof value === "string" ? inspect(value) : inspect(value, { depth: 4 }),
    isMainResult: true,
  };
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    try {
      result.json = JSON.parse(JSON.stringify(value));
    } catch {
      // Not JSON-serialisable (cycles, BigInt): text is enough.
    }
  }
  return result;
}

function compile(code, number) {
  const source = language === "typescript" ? stripTypeScriptTypes(code, { mode: "strip" }) : code;
  const filename = `cell-${number}.${language === "typescript" ? "ts" : "js"}`;
  try {
    return new vm.Script(source, { filename });
  } catch (error) {
    // Top-level await is not valid in a script: run such a cell as an async function body instead.
    if (error instanceof SyntaxError && /await/.test(source)) {
      return new vm.Script(`(async () => {\n${source}\n})()`, { filename, lineOffset: -1 });
    }
    throw error;
  }
}

// Rejects the pending cell when the supervisor interrupts it while it awaits a promise.
let interruptPending = null;
process.on("SIGINT", () => interruptPending?.(new Error("Script execution was interrupted by `SIGINT`")));
process.on("uncaughtException", (error) => process.stderr.write(`Uncaught ${inspect(error)}\n`));
process.on("unhandledRejection", (reason) => process.stderr.write(`Unhandled rejection: ${inspect(reason)}\n`));

async function runCell(request) {
  let value = compile(request.code, request.n).runInThisContext({ breakOnSigint: true, displayErrors: false });
  if (value !== null && typeof value === "object" && typeof value.then === "function") {
    value = await new Promise((resolve, reject) => {
      interruptPending = reject;
      value.then(resolve, reject);
    }).finally(() => {
      interruptPending = null;
    });
  }
  return value;
}

const lines = createInterface({ input: requestStream, crlfDelay: Number.POSITIVE_INFINITY });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  let error = null;
  try {
    const value = await runCell(request);
    if (value !== undefined) {
      globalThis._ = value;
      send({ ev: "result", result: formatResult(value) });
    }
  } catch (thrown) {
    error = errorOf(thrown);
  }
  send({ ev: "done", error, exitCode: error ? 1 : 0 });
}
