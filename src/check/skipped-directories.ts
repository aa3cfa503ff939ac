/**
 * Directories that hold dependencies, environments, version control or caches: never searched for documents
 * or tests, and, in `litmus test`, shown read-only instead of copied.
 */
export const SKIPPED_DIRECTORIES = [
  "node_modules",
  ".git",
  ".venv",
  "venv",
  "__pycache__",
  ".pytest_cache",
  ".tox",
  ".ipynb_checkpoints",
];
