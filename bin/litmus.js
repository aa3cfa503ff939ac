#!/usr/bin/env node
// The litmus command. Node.js >= 22.18 runs the TypeScript sources directly (type stripping), so a
// checkout needs no build step.
import "../src/cli/main.ts";
