import { expect, test } from "vitest";
import { parseTokensFile, readTokensFile } from "../../src/server/index.ts";

test("a tokens file names a client per line; comments and blank lines are skipped", () => {
  const text = "# agents\nalice alice-token-0123456789\n\n  bob   bob-token-0123456789ab  \n";
  expect(parseTokensFile(text, "tokens.txt")).toEqual([
    { name: "alice", token: "alice-token-0123456789" },
    { name: "bob", token: "bob-token-0123456789ab" },
  ]);
});

test("a line may give its client limits of its own", () => {
  const text = "batch batch-token-0123456789 concurrent=2 per-minute=60 sessions=1 contexts=3\n";
  expect(parseTokensFile(text, "tokens.txt")).toEqual([
    {
      name: "batch",
      token: "batch-token-0123456789",
      limits: { concurrent: 2, perMinute: 60, sessions: 1, contexts: 3 },
    },
  ]);
});

test.each([
  ["alice", 'tokens.txt:1: expected "NAME TOKEN" (a client\'s name, then its token)'],
  [
    "alice alice-token-0123456789 fast=1",
    'tokens.txt:1: "fast=1" is not a limit; use concurrent=N, per-minute=N, sessions=N, contexts=N',
  ],
  ["alice alice-token-0123456789 sessions=0", 'tokens.txt:1: sessions must be a whole number of at least 1, not "0"'],
  ["alice short", "tokens.txt:1: the token of alice is 5 characters; use at least 16 (openssl rand -base64 24)"],
  ["a 0123456789abcdef\na 0123456789abcdeg", "tokens.txt:2: a is named twice"],
  ["a 0123456789abcdef\nb 0123456789abcdef", "tokens.txt:2: b has the token of another client"],
  ["# nobody\n", 'tokens.txt names no clients; write a line "NAME TOKEN" per client'],
])("a bad tokens file is refused with where and why: %j", (text, message) => {
  expect(() => parseTokensFile(text, "tokens.txt")).toThrow(message);
});

test("a tokens file that cannot be read is bad input that says why", async () => {
  await expect(readTokensFile("/nonexistent/tokens.txt")).rejects.toThrow(
    "cannot read the tokens file /nonexistent/tokens.txt: no such file",
  );
});
