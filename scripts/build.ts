/**
 * Builds the package: src/ compiled to dist/ by tsc (JavaScript, declarations, source maps with the sources
 * inlined), then the files the code reads at run time beside it (kernels, harnesses, the web UI's CSS and JS).
 * Run by `npm run build` and before `npm pack` / `npm publish` (prepack). The checkout itself needs no build.
 *
 * tsc is the compiler rather than a bundler on purpose: one output file per module keeps the lazy imports that
 * make start-up fast, and the assets keep their paths relative to the code that reads them.
 */

import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")],
  {
    stdio: "inherit",
  },
);

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));

// Everything under src/ that is not TypeScript is read at run time; compiled Python caches are not shipped.
const assets = files(src).filter((path) => !path.endsWith(".ts") && !path.includes("__pycache__"));
for (const asset of assets) cpSync(asset, join(dist, relative(src, asset)));

// tsc leaves a relative `.ts` specifier unrewritten in some places (a dynamic import in a function whose
// `await using` it lowers): Node would fail on it under node_modules, so the build fails here instead.
const unrewritten = files(dist)
  .filter((path) => path.endsWith(".js"))
  .flatMap((path) =>
    [...readFileSync(path, "utf8").matchAll(/\b(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.ts)["']/g)].map(
      (match) => `${relative(root, path)}: ${match[1]}`,
    ),
  );
if (unrewritten.length > 0) {
  console.error(`build: relative .ts imports left in the output:\n  ${unrewritten.join("\n  ")}`);
  process.exit(1);
}
// The declarations may name only packages a user's install has: the dependencies (and Node's built-ins).
const { dependencies } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};
const undeclared = files(dist)
  .filter((path) => path.endsWith(".d.ts"))
  .flatMap((path) =>
    [...readFileSync(path, "utf8").matchAll(/\b(?:from|import\()\s*["']((?:@[^/"']+\/)?[^./"'][^/"']*)/g)]
      .map((match) => match[1] ?? "")
      .filter((name) => !name.startsWith("node:") && !(name in dependencies))
      .map((name) => `${relative(root, path)}: ${name}`),
  );
if (undeclared.length > 0) {
  console.error(`build: declarations import packages that are not dependencies:\n  ${undeclared.join("\n  ")}`);
  process.exit(1);
}
console.log(`build: ${relative(root, dist)}/ written (${assets.length} assets copied)`);
