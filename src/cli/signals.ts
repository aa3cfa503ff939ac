/**
 * Resolves on the first SIGINT or SIGTERM, so a long-running command (serve, mcp, worker) can stop cleanly;
 * a second signal exits at once. The handlers stay registered (`on`, not `once`): signal-exit, which some
 * dependencies use, re-raises a signal when no other listener is left, and that would kill the process in the
 * middle of its cleanup.
 */
export function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = () => {
      if (received) process.exit(130);
      received = true;
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
