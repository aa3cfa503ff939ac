import { homedir } from "node:os";
import { join } from "node:path";

/** Where litmus keeps downloaded models: $LITMUS_CACHE_DIR, else $XDG_CACHE_HOME/litmus, else ~/.cache/litmus. */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.LITMUS_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "litmus");
  return join(root, "models");
}
