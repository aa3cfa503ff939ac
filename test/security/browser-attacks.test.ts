import { existsSync, readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Sandbox as E2bSandbox } from "@e2b/code-interpreter";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { serverForSuite } from "../helpers/server.ts";

const CHROMIUM = "/usr/bin/chromium";
const skipped =
  sandboxUnavailableReason() ?? (existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM}: apt-get install chromium`);

/**
 * A web page the user happens to open, on another origin, tries to drive litmus serve on the same machine (as
 * one did: it ran code in the agent's sandbox and created and approved a review). In a real Chromium.
 */
describe.skipIf(skipped)(`litmus serve against a hostile web page (${skipped ?? "real Chromium"})`, () => {
  const suite = serverForSuite();
  let attacker: Server;
  let attackerUrl: string;

  beforeAll(async () => {
    attacker = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<!doctype html><title>cats</title>");
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    attacker?.close();
  });

  /** What the page's script sees of each request: the status, or that the browser would not send it. */
  async function fromThePage(requests: Array<{ url: string; body: string }>): Promise<string[]> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.goto(attackerUrl);
      return await page.evaluate(async (all) => {
        const outcomes: string[] = [];
        for (const { url, body } of all) {
          try {
            // A "simple" request: no preflight, the way a page reaches servers that do not check.
            const response = await fetch(url, { method: "POST", body, headers: { "content-type": "text/plain" } });
            outcomes.push(String(response.status));
          } catch {
            outcomes.push("blocked");
          }
        }
        return outcomes;
      }, requests);
    } finally {
      await browser.close();
    }
  }

  test("the page can neither run code through the E2B API nor start a review in the web app", async () => {
    const e2b = suite.server.e2bUrl as string;
    await fromThePage([
      { url: `${e2b}execute`, body: JSON.stringify({ code: "pwned = 'by a web page'" }) },
      { url: `${suite.server.url}api/reviews`, body: JSON.stringify({ task: "write rm -rf" }) },
      { url: `${suite.server.url}mcp`, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) },
    ]);
    // The page cannot read the answers (another origin): what counts is that nothing happened.
    expect(suite.store.reviews.list({ limit: 10 })).toEqual([]);
    const probe = await fetch(`${e2b}execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "'pwned' in globals()" }),
    });
    expect(await probe.text()).toContain('"text":"False"');
  });

  test("a signed file URL (E2B's way to hand a file to a browser) opens in the browser; a tampered one does not", async () => {
    const url = (suite.server.e2bUrl as string).replace(/\/$/, "");
    const sandbox = await E2bSandbox.create({
      apiUrl: url,
      sandboxUrl: url,
      apiKey: `e2b_${"0".repeat(40)}`,
      debug: false,
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      await sandbox.files.write("/home/user/report.txt", "for the browser");
      const signed = await sandbox.downloadUrl("/home/user/report.txt");
      const page = await browser.newPage({ acceptDownloads: true });
      // A file is served as bytes (application/octet-stream): the browser saves it.
      const [download] = await Promise.all([page.waitForEvent("download"), page.goto(signed).catch(() => null)]);
      expect(readFileSync((await download.path()) as string, "utf8")).toBe("for the browser");
      const tampered = new URL(signed);
      tampered.searchParams.set("path", "/home/user/.bashrc");
      expect((await page.goto(tampered.toString()))?.status()).toBe(401);
    } finally {
      await browser.close();
      await sandbox.kill();
    }
  });

  /** A request with the Host header chosen (fetch does not let one set it), answering its status. */
  function withHost(url: string, host: string, method = "GET"): Promise<number> {
    return new Promise((resolve, reject) => {
      const sent = request(url, { method, headers: { host, "content-type": "application/json" } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      sent.once("error", reject);
      sent.end(method === "POST" ? JSON.stringify({ code: "1" }) : undefined);
    });
  }

  test("refused outright: another origin, a foreign Host (DNS rebinding), a body not declared JSON", async () => {
    const e2b = suite.server.e2bUrl as string;
    const post = (url: string, headers: Record<string, string>) =>
      fetch(url, { method: "POST", headers, body: JSON.stringify({ code: "1" }) }).then((response) => response.status);
    expect(await post(`${e2b}execute`, { "content-type": "application/json", origin: attackerUrl.slice(0, -1) })).toBe(
      403,
    );
    expect(await withHost(`${e2b}execute`, "rebound.example:49999", "POST")).toBe(403);
    expect(await withHost(`${e2b}execute`, `localhost:${new URL(e2b).port}`, "POST")).toBe(200);
    expect(await post(`${e2b}execute`, { "content-type": "text/plain" })).toBe(415);
    // envd's routes too: a form upload is a "simple" request a page may send without asking first.
    const form = new FormData();
    form.append("file", new Blob(["planted"]), "planted.txt");
    const upload = await fetch(`${e2b}files?path=planted.txt`, {
      method: "POST",
      headers: { origin: attackerUrl.slice(0, -1) },
      body: form,
    });
    expect(upload.status).toBe(403);
    const signal = await fetch(`${e2b}process.Process/SendSignal`, {
      method: "POST",
      headers: { origin: attackerUrl.slice(0, -1), "content-type": "application/json" },
      body: JSON.stringify({ process: { pid: 1 }, signal: "SIGNAL_SIGKILL" }),
    });
    expect(signal.status).toBe(403);
    expect(await withHost(`${suite.server.url}?token=${suite.server.token}`, "rebound.example")).toBe(403);
    // Without its token the web app serves nothing, on loopback too.
    expect((await fetch(suite.server.url)).status).toBe(401);
  });
});
