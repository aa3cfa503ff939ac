import { describe, expect, test } from "vitest";
import { isLitmusError } from "../../src/errors.ts";
import { DEFAULT_LIMITS, parseBytes, parseDuration, resolveLimits } from "../../src/sandbox/index.ts";

describe("parseDuration", () => {
  test.each([
    ["10s", 10_000],
    ["500ms", 500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
    ["3", 3_000],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(["", "ten seconds", "10 parsecs", "-1s", "0s"])("rejects %j with a hint", (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});

describe("parseBytes", () => {
  test.each([
    ["512M", 512 * 1024 * 1024],
    ["1G", 1024 ** 3],
    ["64KiB", 64 * 1024],
    ["100", 100],
  ])("%s is %i bytes", (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  test("rejects unknown units with an example of valid ones", () => {
    expect(() => parseBytes("12 bananas")).toThrow(
      'invalid size "12 bananas": use a number with a unit, like 512M or 1G',
    );
  });
});

describe("resolveLimits", () => {
  test("fills in every default", () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ processes: 7 }).processes).toBe(7);
  });

  test("names the bad field", () => {
    let thrown: unknown;
    try {
      resolveLimits({ openFiles: 0 });
    } catch (error) {
      thrown = error;
    }
    expect(isLitmusError(thrown, "BAD_INPUT")).toBe(true);
    expect((thrown as Error).message).toBe("limits.openFiles must be a positive integer, got 0");
  });

  test("refuses a memory limit too small to start an interpreter", () => {
    expect(() => resolveLimits({ memoryBytes: 1024 })).toThrow(/at least 16 MiB/);
  });
});
