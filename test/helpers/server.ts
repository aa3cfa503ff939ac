import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, type ServeOptions, startServer } from "../../src/server/index.ts";
import type { RunStore } from "../../src/store/index.ts";

/**
 * litmus serve for a test, on free ports (the E2B API too, unless `e2bPort` says otherwise), with no model
 * unless `model` gives one.
 */
export function startTestServer(
  store: RunStore,
  options: Partial<Omit<ServeOptions, "store">> = {},
): Promise<RunningServer> {
  return startServer({
    store,
    artifactsDir: join(tmpdir(), "litmus-test-artifacts"),
    model: () => Promise.reject(new Error("no model in this test")),
    port: 0,
    e2bPort: 0,
    ...options,
  });
}
