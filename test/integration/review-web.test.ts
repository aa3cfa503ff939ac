import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { list } from "tar";
import { afterAll, describe, expect, test } from "vitest";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const CHROMIUM = "/usr/bin/chromium";
const BIN = join(import.meta.dirname, "../../bin/litmus.js");
const skipped =
  sandboxUnavailableReason() ?? (existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM}: apt-get install chromium`);
/** Where the test leaves its screenshots, to be looked at. */
const SCREENSHOTS = process.env.LITMUS_SCREENSHOT_DIR ?? join(tmpdir(), "litmus-screenshots");

const servers: ChildProcess[] = [];
afterAll(() => {
  for (const server of servers) server.kill("SIGTERM");
});

/** Starts `litmus serve` on a free port and returns its address once it says it listens. */
async function serveFrom(env: NodeJS.ProcessEnv): Promise<string> {
  const server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--no-e2b"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  servers.push(server);
  let stderr = "";
  return new Promise((resolve, reject) => {
    server.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      // The whole address: on loopback too it carries the token (the page moves it into a cookie).
      const url = /litmus serve: (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) resolve(url);
    });
    server.once("exit", (code) => reject(new Error(`litmus serve exited (${code}): ${stderr}`)));
  });
}

describe.skipIf(skipped)(
  `the review web app in Chromium (${skipped ?? "real browser, real model"})`,
  { timeout: 240_000 },
  () => {
    test("a review started in the terminal is approved in the browser after a restart, runs live, and downloads", async () => {
      const dir = mkdtempSync(join(tmpdir(), "litmus-web-"));
      mkdirSync(SCREENSHOTS, { recursive: true });
      const tests = join(dir, "t.py");
      writeFileSync(tests, "assert add(2, 3) == 5\n");
      const env = { ...process.env, LITMUS_DATA_DIR: dir };
      // 1. A terminal session drafts and leaves the review pending; its process ends.
      const started = await litmus(
        [
          "review",
          "Write a function add(a, b) that returns the sum of a and b.",
          "--tests",
          tests,
          "--max-tokens",
          "96",
        ],
        { env, stdin: "q\n" },
      );
      const id = /left pending: litmus review approve ([0-9a-f-]{36})/.exec(started.stderr)?.[1];
      expect(id).toBeDefined();

      // 2. Later, another process serves the web app.
      const url = await serveFrom(env);
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
        await page.goto(url);
        await page.locator(`#queue a[data-id="${id}"]`).click();
        await page.locator('article[data-status="pending"]').waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, "1-pending.png"), fullPage: true });

        // 3. Edit with the keyboard, then approve: the edit is what runs, its output shows, and it passes.
        await page.locator("body").press("e");
        await page.locator("#editor").fill("def add(a, b):\n    print('adding', a, b)\n    return a + b\n");
        await page.locator("#approve").click();
        await page.locator(".verdict.ok").waitFor({ timeout: 60_000 });
        await expect(page.locator("#output").textContent()).resolves.toContain("PASS assert add(2, 3) == 5");
        await expect(page.locator("article h2 .status").textContent()).resolves.toBe("done");
        await expect(page.locator(".history").textContent()).resolves.toMatch(/edited by reviewer/);
        await page.screenshot({ path: join(SCREENSHOTS, "2-done.png"), fullPage: true });

        // 4. The artifact downloads and holds the edited code.
        const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#artifact").click()]);
        const saved = join(dir, download.suggestedFilename());
        await download.saveAs(saved);
        const entries: string[] = [];
        await list({ file: saved, onReadEntry: (entry) => entries.push(entry.path) });
        expect(entries).toContain(`review-${id}/main.py`);
      } finally {
        await browser.close();
      }
    });

    test("bound beyond loopback, the app wants its token", async () => {
      const dir = mkdtempSync(join(tmpdir(), "litmus-web-"));
      const env = { ...process.env, LITMUS_DATA_DIR: dir, LITMUS_TOKEN: "t0ken-for-the-test" };
      const server = spawn(process.execPath, [BIN, "serve", "--host", "0.0.0.0", "--port", "0", "--no-e2b"], {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      servers.push(server);
      let stderr = "";
      const url = await new Promise<string>((resolve) =>
        server.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
          stderr += chunk;
          const found = /litmus serve: (http:\/\/\S+?\/)\?token=t0ken-for-the-test/.exec(stderr)?.[1];
          if (found) resolve(found.replace("0.0.0.0", "127.0.0.1"));
        }),
      );
      expect((await fetch(`${url}api/reviews`)).status).toBe(401);
      expect((await fetch(`${url}api/reviews`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
      const allowed = await fetch(`${url}api/reviews`, { headers: { authorization: "Bearer t0ken-for-the-test" } });
      expect([allowed.status, await allowed.json()]).toEqual([200, []]);
      const runs = await fetch(`${url}runs`, { headers: { authorization: "Bearer t0ken-for-the-test" } });
      expect(await runs.text()).toContain("No benchmark runs yet: litmus bench run records them.");
      const report = await fetch(`${url}bench/nope/report`, {
        headers: { authorization: "Bearer t0ken-for-the-test" },
      });
      expect(report.status).toBe(404);
    });
  },
);
