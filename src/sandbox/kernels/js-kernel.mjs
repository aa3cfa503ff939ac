// litmus JavaScript / TypeScript kernel: runs cells in one persistent global scope, like a notebook.
// Requests arrive as JSON lines on fd 3, events leave on fd 4; user code keeps the real stdout/stderr.
// TypeScript is type-stripped by Node itself (module.stripTypeScriptTypes), so no compiler is mounted.
import { writeSync } from "node:fs";
import { createRequire, stripTypeScriptTypes } from "node:module";
import { Socket } from "node:net";
import { createInterface } from "node:readline";
import { inspect } from "node:util";
import vm from "node:vm";

const language = process.argv[2] ?? "javascript";
// A socket over the pipe, not fs.createReadStream: a file stream reads in libuv's thread pool, and a read that
// blocks there kept `process.exit()` in user code from ever ending the process (it hung until the timeout).
const requestStream = new Socket({ fd: 3, readable: true, writable: false });
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

// `import ... from "m"` at the start of a line: default, named (`{ a, b as c }`), namespace (`* as ns`), default
// with either, bare; import attributes (`with { type: "json" }`) included.
const STATIC_IMPORT =
  /^([ \t]*)import\s+(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s*as\s+([\w$]+))?\s*(?:from\s*)?(["'][^"'\n]+["'])(?:\s*with\s*\{[^}]*\})?[ \t]*;?/gm;

/**
 * A cell is a script, where `import` statements are a syntax error; notebooks and Node's REPL accept them, and
 * documentation is full of them. Each becomes assignments to globals over require() (which loads ES modules too
 * on Node >= 22.12), keeping the cell's line count so error lines stay right. Globals, not declarations: a cell
 * with top-level await runs inside a function, and what it imports must still be there for the next cell; and
 * an import repeated in a later cell is no redeclaration.
 */
function withImportsAsRequires(source) {
  return source.replace(STATIC_IMPORT, (statement, indent, name, named, namespace, specifier) => {
    const lineBreaks = "\n".repeat(statement.split("\n").length - 1);
    const loaded = `require(${specifier})`;
    if (!name && !namespace && named === undefined) return `${indent}${loaded};${lineBreaks}`;
    const assignments = [`globalThis.__litmus_import = ${loaded};`];
    // An ES module's default export is its `default`; a CommonJS module's is module.exports itself.
    if (name) {
      assignments.push(
        `globalThis.${name} = __litmus_import?.[Symbol.toStringTag] === "Module" ? __litmus_import.default : __litmus_import;`,
      );
    }
    if (namespace) assignments.push(`globalThis.${namespace} = __litmus_import;`);
    for (const binding of bindingsOf(named ?? "")) {
      assignments.push(`globalThis.${binding.local} = __litmus_import[${JSON.stringify(binding.imported)}];`);
    }
    return `${indent}${assignments.join(" ")}${lineBreaks}`;
  });
}

/** The names a `{ a, b as c, "d-e" as f }` list binds, comments and `type` specifiers left out. */
function bindingsOf(list) {
  return list
    .replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith("type "))
    .map((part) => {
      const [imported, local] = part.split(/\s+as\s+/);
      const unquoted = imported.replace(/^["']|["']$/g, "");
      return { imported: unquoted, local: local ?? unquoted };
    });
}

function compile(code, number) {
  const stripped = language === "typescript" ? stripTypeScriptTypes(code, { mode: "strip" }) : code;
  const source = withImportsAsRequires(stripped);
  const filename = `cell-${number}.${language === "typescript" ? "ts" : "js"}`;
  // import() inside a cell loads modules the way the kernel itself does.
  const importModuleDynamically = vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  try {
    return new vm.Script(source, { filename, importModuleDynamically });
  } catch (error) {
    // Top-level await is not valid in a script: run such a cell as an async function body instead.
    if (error instanceof SyntaxError && /await/.test(source))
      return asyncCell(source, filename, importModuleDynamically);
    throw error;
  }
}

// A declaration at the start of a line, at the top level of a cell.
const TOP_LEVEL_DECLARATION = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/gm;
// How a statement that is no expression begins.
const STATEMENT_START =
  /^(?:const|let|var|if|for|while|do|switch|try|return|throw|function|class|import|export|break|continue)\b|^[{}]/;
// How many of a cell's last lines are searched for the start of its last expression.
const TAIL_LINES = 50;

/**
 * A cell with top-level await, as the body of an async function, made to behave like a script's: what it
 * declares at the top level stays for the next cells (a global, as Node's REPL hoists it), and the value of its
 * last expression is returned. Without a parser in the sandbox, that expression is the longest tail of the cell
 * that compiles as one (JavaScript's own parse decides, so `a\n+ b` stays one expression); line numbers are kept.
 */
function asyncCell(source, filename, importModuleDynamically) {
  const declarationStarts = new Set();
  const hoisted = source.replace(TOP_LEVEL_DECLARATION, (_, name, offset) => {
    declarationStarts.add(offset);
    return `${name} =`;
  });
  const script = (body) =>
    new vm.Script(`(async () => {\n${body}\n})()`, { filename, lineOffset: -1, importModuleDynamically });
  for (const start of expressionStarts(hoisted)) {
    if (declarationStarts.has(start)) continue;
    const tail = hoisted.slice(start).replace(/[\s;]+$/, "");
    if (!tail.trim() || STATEMENT_START.test(tail.trim())) continue;
    try {
      return script(`${hoisted.slice(0, start)}return (${tail}\n);`);
    } catch {
      // Not the start of the last expression: try a shorter tail.
    }
  }
  return script(hoisted);
}

/** Where the last expression may begin, longest tail first: line starts and the ends of `;` in the last lines. */
function expressionStarts(source) {
  const lineStarts = [0];
  for (let index = source.indexOf("\n"); index !== -1; index = source.indexOf("\n", index + 1))
    lineStarts.push(index + 1);
  const from = lineStarts[Math.max(0, lineStarts.length - TAIL_LINES)];
  const starts = new Set(lineStarts.filter((start) => start >= from));
  for (let index = source.indexOf(";", from); index !== -1; index = source.indexOf(";", index + 1))
    starts.add(index + 1);
  return [...starts].sort((a, b) => a - b);
}

// Rejects the pending cell when the supervisor interrupts it while it awaits a promise.
let interruptPending = null;
process.on("SIGINT", () => interruptPending?.(new Error("Script execution was interrupted by `SIGINT`")));
process.on("uncaughtException", (error) => process.stderr.write(`Uncaught ${inspect(error)}\n`));
process.on("unhandledRejection", (reason) => process.stderr.write(`Unhandled rejection: ${inspect(reason)}\n`));

/** A run's own environment variables; returns what restores the environment as it was before. */
function setEnvironment(envs) {
  const saved = Object.entries(envs).map(([name]) => [name, process.env[name]]);
  Object.assign(process.env, envs);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

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
  const restoreEnvironment = setEnvironment(request.envs ?? {});
  try {
    const value = await runCell(request);
    if (value !== undefined) {
      globalThis._ = value;
      send({ ev: "result", n: request.n, result: formatResult(value) });
    }
  } catch (thrown) {
    error = errorOf(thrown);
  } finally {
    restoreEnvironment();
  }
  // `n` is echoed in every event: the supervisor drops events of any other cell.
  send({ ev: "done", n: request.n, error, exitCode: error ? 1 : 0 });
}
