#!/usr/bin/env node
// The litmus command. The package runs the built JavaScript in dist/; a checkout (it has src/) runs the
// TypeScript sources directly (Node >= 22.18 strips types), so development needs no build step.
import { existsSync } from "node:fs";
import module from "node:module";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `litmus: needs Node.js 22.13 or newer; this is ${process.version} (${process.execPath}). Install a current Node.js, or run litmus with one: npx -p node@24 -p litmus-code litmus ...\n`,
  );
  process.exit(3);
}
const checkout = existsSync(new URL("../src/cli/main.ts", import.meta.url));
const entry = (path) => new URL(checkout ? `../src/${path}.ts` : `../dist/${path}.js`, import.meta.url).href;
const { compileCacheDir } = await import(entry("cache-dirs"));
// V8's compiled code of litmus's modules is kept between runs: start-up takes a fraction of a cold one.
module.enableCompileCache(compileCacheDir());
await import(entry("cli/main"));
