import type { BulletDraft, Delta } from "../../src/learn/index.ts";

/** A new bullet's fields, with the given ones changed. */
export function draft(overrides: Partial<BulletDraft> = {}): BulletDraft {
  return {
    section: "pitfalls",
    content: "Check indexes against the length before using them.",
    snippet: null,
    language: "python",
    triggers: { errors: ["runtime:IndexError:list index out of range"], tags: [], keywords: ["list", "index"] },
    provenance: { tasks: ["t1"], run: null, reflector: "rules", createdAt: "2026-12-01T00:00:00.000Z" },
    ...overrides,
  };
}

/** An ADD delta, active unless said otherwise. */
export function add(overrides: Partial<BulletDraft> = {}, status: "candidate" | "active" = "active"): Delta {
  return { op: "ADD", status, bullet: draft(overrides) };
}

export const TEST_SOURCE = { kind: "test", step: null };
