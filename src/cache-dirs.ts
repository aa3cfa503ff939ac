import { homedir } from "node:os";
import { join } from "node:path";

/** litmus's cache: $LITMUS_CACHE_DIR, else $XDG_CACHE_HOME/litmus, else ~/.cache/litmus. */
function cacheRoot(env: NodeJS.ProcessEnv): string {
  return env.LITMUS_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "litmus");
}

/** Where litmus keeps downloaded models: `models/` in its cache. */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "models");
}

/** Where the response cache keeps model answers: `responses/` in litmus's cache. */
export function responseCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "responses");
}

/** Where benchmark datasets downloaded from their original sources are kept: `datasets/` in litmus's cache. */
export function datasetCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "datasets");
}

/** Where a dataset's reference outputs and timings are kept once computed: `ground-truth/` in litmus's cache. */
export function groundTruthCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "ground-truth");
}

/**
 * Where Node.js keeps V8's compiled code of litmus's modules between runs (start-up takes a fraction of a
 * cold one): `compile-cache/` in litmus's cache. Per user, never the shared temporary directory Node would
 * pick: code cached there by another local user would run as ours. Used by bin/litmus.js.
 *
 * @public
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "compile-cache");
}

/**
 * Where built sandbox templates (Python environments) are kept: $LITMUS_TEMPLATES_DIR, else `templates/` in
 * litmus's cache; as root, /var/cache/litmus/templates unless a directory is given: sandboxes run as other
 * uids there, and cannot reach anything under /root.
 */
export function templateCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LITMUS_TEMPLATES_DIR) return env.LITMUS_TEMPLATES_DIR;
  if (process.getuid?.() === 0 && !env.LITMUS_CACHE_DIR) return "/var/cache/litmus/templates";
  return join(cacheRoot(env), "templates");
}
