import { beforeAll, describe, expect, test } from "vitest";
import { serverForSuite } from "../helpers/server.ts";

const OPERATOR = "operator-token-0123456789";
const ALICE = "alice-token-0123456789ab";
const BOB = "bob-token-0123456789abcd";

/**
 * With several clients (`litmus serve --tokens`), each client's reviews are its own: one client read another's
 * review and approved it with code of its own, which then ran under the other's name. The operator (the default
 * token) also sees the reviews started in a terminal; runs and benchmark pages are the operator's alone.
 */
describe("reviews belong to the client that started them", () => {
  const suite = serverForSuite({
    token: OPERATOR,
    clients: [
      { name: "alice", token: ALICE },
      { name: "bob", token: BOB },
    ],
  });
  const ids: Record<string, string> = {};
  beforeAll(() => {
    const document = { task: { id: "t", prompt: "add" }, settings: {}, drafts: [] };
    for (const owner of ["token:alice", null]) {
      ids[owner ?? "terminal"] = suite.store.reviews.create({
        id: crypto.randomUUID(),
        taskId: "t",
        model: "m",
        document,
        owner,
      }).id;
    }
  });

  const as = (token: string, path: string, init: RequestInit = {}) =>
    fetch(new URL(path, suite.server.url), { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const listed = async (token: string) =>
    ((await (await as(token, "api/reviews")).json()) as Array<{ id: string }>).map((review) => review.id).sort();

  test("each client lists, reads and decides only its own; the operator also the terminal's", async () => {
    expect(await listed(ALICE)).toEqual([ids["token:alice"]]);
    expect(await listed(BOB)).toEqual([]);
    expect(await listed(OPERATOR)).toEqual([ids.terminal]);
    const alices = ids["token:alice"] as string;
    expect((await as(BOB, `api/reviews/${alices}`)).status).toBe(404);
    expect((await as(BOB, `fragments/review/${alices}`)).status).toBe(404);
    const approve = await as(BOB, `api/reviews/${alices}/approve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ by: "bob", code: "print('bob was here')" }),
    });
    expect(approve.status).toBe(404);
    expect(suite.store.reviews.get(alices)?.status).toBe("drafting");
    expect((await as(ALICE, `api/reviews/${alices}`)).status).toBe(200);
  });

  test("runs and benchmark reports are the operator's", async () => {
    expect((await as(ALICE, "runs")).status).toBe(403);
    expect((await as(OPERATOR, "runs")).status).toBe(200);
  });
});
