import { describe, expect, test } from "vitest";
import { pairedDifference } from "../../src/bench/index.ts";
import { embeddingSimilarity, type LearningMeasurement, renderLearningHtml } from "../../src/learn/index.ts";
import { placeboSource } from "../../src/learn/measure/placebo.ts";
import { estimateTokens } from "../../src/learn/text.ts";

describe("placebo bullets", () => {
  test("take as many tokens as the real bullets, say nothing of them, and are reproducible", () => {
    const real = [
      { id: "pit-0001", content: "Check indexes against the length before using them, and handle empty inputs first." },
      { id: "snp-0001", content: "A tested helper.", snippet: "def rev(s):\n    return s[::-1]" },
    ];
    const source = { size: 2, select: () => real };
    const tokens = (bullets: { content: string; snippet?: string | null }[]) =>
      bullets.reduce(
        (sum, bullet) => sum + estimateTokens(bullet.snippet ? `${bullet.content}\n${bullet.snippet}` : bullet.content),
        0,
      );
    const placebo = placeboSource(source, "Mbpp/2", 1).select(null);
    expect(Math.abs(tokens(placebo) - tokens(real))).toBeLessThanOrEqual(placebo.length);
    expect(placebo.every((bullet) => bullet.id.startsWith("plc-"))).toBe(true);
    expect(placebo.map((bullet) => bullet.content).join(" ")).not.toMatch(/indexes|def rev|helper/i);
    expect(placeboSource(source, "Mbpp/2", 1).select(null)).toEqual(placebo);
    expect(placeboSource({ size: 0, select: () => [] }, "Mbpp/2", 1).select(null)).toEqual([]);
  });
});

describe("paired difference", () => {
  test("the mean of a - b over pairs, with a bootstrap interval over tasks", () => {
    const pairs = Array.from({ length: 40 }, (_, index) => ({
      taskId: `t${index}`,
      seed: 1,
      a: index < 12 ? 1 : 0,
      b: index < 4 ? 1 : 0,
    }));
    const difference = pairedDifference(pairs, { seed: 7 });
    expect(difference.mean).toBeCloseTo(0.2);
    expect([difference.aOnly, difference.bOnly, difference.pairs]).toEqual([8, 0, 40]);
    expect(difference.low).toBeGreaterThan(0.05);
    expect(difference.high).toBeLessThan(0.36);
    expect(difference.low).toBeLessThan(difference.mean);
    expect(pairedDifference(pairs, { seed: 7 })).toEqual(difference);
    const none = pairedDifference(pairs.map((pair) => ({ ...pair, b: pair.a })));
    expect([none.mean, none.low, none.high]).toEqual([0, 0, 0]);
  });
});

describe("embedding similarity", () => {
  test("cosine of the vectors, each text embedded once", async () => {
    const embedded: string[] = [];
    const vectors: Record<string, number[]> = { a: [1, 0], b: [1, 1], c: [0, 2] };
    const similarity = embeddingSimilarity(
      "test",
      async (text) => {
        embedded.push(text);
        return vectors[text] ?? [];
      },
      0.9,
    );
    expect(await similarity.score("a", "b")).toBeCloseTo(Math.SQRT1_2);
    expect(await similarity.score("a", "c")).toBe(0);
    expect(await similarity.score("b", "b")).toBeCloseTo(1);
    expect(embedded.sort()).toEqual(["a", "b", "c"]);
  });
});

describe("learning report", () => {
  test("one self-contained page with the arms, the differences and the curves", async () => {
    const measurement: LearningMeasurement = {
      generatedAt: "2026-12-02T00:00:00.000Z",
      model: "local",
      reflectorModel: null,
      settings: {
        train: { dataset: "mbpp train", tasks: ["Mbpp/601"] },
        heldOut: [{ name: "mbpp test", dataset: "mbpp", tasks: ["Mbpp/11", "Mbpp/12"] }],
        seeds: [1, 2],
        maxAttempts: 2,
        epochs: 1,
        budgetTokens: 120,
        curve: { every: 1, tasks: 2 },
      },
      arms: [
        { arm: "none", description: "no playbook" },
        { arm: "learned", description: "the learned playbook" },
      ],
      learning: {
        runId: "r",
        playbook: "/tmp/p.json",
        dataset: "mbpp",
        model: "local",
        reflectorModel: null,
        tasks: 1,
        epochs: [{ epoch: 1, solved: 0, tasks: 1 }],
        steps: [{ ordinal: 0, taskId: "Mbpp/601", solved: false, playbookVersion: 3, activeBullets: 1 }],
        bullets: { active: 1, candidate: 0, retired: 0 },
        trialRuns: 1,
        durationMs: 1000,
      },
      playbook: {
        path: "/tmp/p.json",
        id: "00000000-0000-4000-8000-000000000000",
        version: 3,
        active: 1,
        candidate: 0,
        retired: 0,
      },
      results: [
        {
          set: "mbpp test",
          arm: "none",
          perSeed: [
            { seed: 1, passAt1: 0, runId: "a" },
            { seed: 2, passAt1: 0.5, runId: "b" },
          ],
          mean: 0.25,
        },
        {
          set: "mbpp test",
          arm: "learned",
          perSeed: [
            { seed: 1, passAt1: 0.5, runId: "c" },
            { seed: 2, passAt1: 0.5, runId: "d" },
          ],
          mean: 0.5,
        },
      ],
      differences: [
        {
          set: "mbpp test",
          versus: "none",
          difference: { mean: 0.25, low: 0, high: 0.5, aOnly: 1, bOnly: 0, pairs: 4 },
        },
      ],
      curve: [
        { afterSteps: 0, version: 0, activeBullets: 0, passAt1: 0 },
        { afterSteps: 1, version: 3, activeBullets: 1, passAt1: 0.5 },
      ],
      size: [{ step: 1, activeBullets: 1 }],
      bullets: [
        { id: "pit-0001", content: "Guard <every> division.", shown: 2, passedLearned: 1, passedNone: 0, effect: 0.5 },
      ],
      durationMs: { learn: 60_000, heldOut: 120_000, curve: 30_000 },
    };
    const html = await renderLearningHtml(measurement);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect((html.match(/<svg/g) ?? []).length).toBe(4);
    expect(html).toContain("Guard &#60;every&#62; division.");
    expect(html).toContain("<b>+25.0%</b>");
    expect(html).toContain("+0.0% to +50.0%");
  });
});
