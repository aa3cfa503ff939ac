import { expect, test } from "vitest";
import { allocateHostUid, releaseHostUid, SANDBOX_UID_RANGE } from "../../src/sandbox/local/host-uids.ts";

test("host uids are unique among live sandboxes, inside the reserved range, and reusable once released", () => {
  const uids = Array.from({ length: 100 }, () => allocateHostUid());
  expect(new Set(uids).size).toBe(100);
  for (const uid of uids) {
    expect(uid).toBeGreaterThanOrEqual(SANDBOX_UID_RANGE.first);
    expect(uid).toBeLessThan(SANDBOX_UID_RANGE.first + SANDBOX_UID_RANGE.count);
  }
  for (const uid of uids) releaseHostUid(uid);
});
