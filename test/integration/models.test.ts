import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { DEFAULT_MODEL, defaultModelPath } from "../../src/models/index.ts";
import { litmus } from "../helpers/cli.ts";

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

test("models list says which keys are set, never what they are", async () => {
  const run = await litmus(["models", "list", "--json"], {
    env: { ...process.env, OPENAI_API_KEY: "sk-secret-do-not-print", ANTHROPIC_API_KEY: "" },
  });
  expect(run.code).toBe(0);
  expect(run.stdout).not.toContain("sk-secret-do-not-print");
  const document = JSON.parse(run.stdout);
  expect(document.keys).toEqual({
    openai: { variable: "OPENAI_API_KEY", set: true },
    anthropic: { variable: "ANTHROPIC_API_KEY", set: false },
    "openai-compatible": { variable: "OPENAI_COMPATIBLE_API_KEY", set: Boolean(process.env.OPENAI_COMPATIBLE_API_KEY) },
  });
  expect(document.prices["openai:gpt-4o-mini"]).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
});
