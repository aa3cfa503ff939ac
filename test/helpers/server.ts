import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type RunningServer, type ServeOptions, startServer } from "../../src/server/index.ts";
import { RunStore } from "../../src/store/index.ts";

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

/**
 * A test server for a whole suite: started (with a run store in memory) before its tests, closed after. Read
 * `server` and `store` inside the tests.
 */
export function serverForSuite(options: Partial<Omit<ServeOptions, "store">> = {}): {
  readonly server: RunningServer;
  readonly store: RunStore;
} {
  const state: { server?: RunningServer; store?: RunStore } = {};
  beforeAll(async () => {
    state.store = RunStore.open(":memory:");
    state.server = await startTestServer(state.store, options);
  });
  afterAll(async () => {
    await state.server?.close();
    state.store?.close();
  });
  return {
    get server() {
      return state.server as RunningServer;
    },
    get store() {
      return state.store as RunStore;
    },
  };
}
