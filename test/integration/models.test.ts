import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { DEFAULT_MODEL, defaultModelPath } from "../../src/models/index.ts";

const BIN = fileURLToPath(new URL("../../bin/litmus.js", import.meta.url));
const pulled = existsSync(defaultModelPath());

test.skipIf(!pulled)(
  `the pulled default model is the complete Gemma 3 270M file${pulled ? "" : " (skipped: run `litmus models pull`, as scripts/setup.sh does)"}`,
  () => {
    const info = JSON.parse(execFileSync(process.execPath, [BIN, "models", "info", "--json"], { encoding: "utf8" }));
    expect(info).toEqual({
      spec: "local",
      path: defaultModelPath(),
      sizeBytes: DEFAULT_MODEL.sizeBytes,
      version: 3,
      tensorCount: 236,
      metadataCount: 33,
    });
  },
);
