import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

/** How long the normalizers of one comparison may take: a pattern that backtracks without end is stopped. */
const LIMIT_MS = 2000;

// The worker replaces, answers on its port, then wakes the caller waiting on the shared flag.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { port, flag } = workerData;
parentPort.on("message", ({ text, patterns, replacement }) => {
  let result = text;
  for (const pattern of patterns) result = result.replace(pattern, replacement);
  port.postMessage(result);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

interface Replacer {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

let replacer: Replacer | null = null;

function startReplacer(): Replacer {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
  // It serves while litmus runs; it must not keep litmus running.
  worker.unref();
  return { worker, port: port1, flag };
}

/**
 * `text` with every pattern's matches replaced, in order, or null when that took longer than LIMIT_MS. The
 * patterns come from documents (`normalize=`), which may come from anyone (the MCP server's check_docs):
 * JavaScript cannot interrupt a regular expression, so it runs in a worker thread, which is stopped when it
 * takes too long, and the caller waits for it synchronously.
 */
export function replaceWithinLimit(text: string, patterns: RegExp[], replacement: string): string | null {
  if (patterns.length === 0) return text;
  replacer ??= startReplacer();
  const { worker, port, flag } = replacer;
  Atomics.store(flag, 0, 0);
  worker.postMessage({ text, patterns, replacement });
  if (Atomics.wait(flag, 0, 0, LIMIT_MS) === "timed-out") {
    replacer = null;
    void worker.terminate();
    return null;
  }
  return (receiveMessageOnPort(port)?.message as string | undefined) ?? null;
}
