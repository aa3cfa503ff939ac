import type { Sandbox } from "../../sandbox/index.ts";

/** State the server keeps for each sandbox (its processes, its watchers), made on first use, gone with it. */
export function perSandbox<T>(create: () => T): (sandbox: Sandbox) => T {
  const states = new WeakMap<Sandbox, T>();
  return (sandbox) => {
    let state = states.get(sandbox);
    if (state === undefined) {
      state = create();
      states.set(sandbox, state);
    }
    return state;
  };
}
