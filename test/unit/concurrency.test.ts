import { describe, expect, test } from "vitest";
import { allOrAbort, Semaphore } from "../../src/concurrency.ts";

describe("Semaphore", () => {
  test("holds at most its limit, hands places over in order, and frees them on failure too", async () => {
    const semaphore = new Semaphore(2);
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, fail = false) =>
      semaphore.run(async () => {
        running++;
        most = Math.max(most, running);
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job("a", true), job("b"), job("c"), job("d")]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled"]);
    expect(most).toBe(2);
    expect(events).toEqual(["start a", "start b", "start c", "start d"]);
  });

  test("an abort while waiting leaves the line without taking a place", async () => {
    const semaphore = new Semaphore(1);
    let release = () => {};
    const holder = semaphore.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const waiter = semaphore.run(async () => "never", controller.signal);
    const next = semaphore.run(async () => "next");
    controller.abort(new Error("stop waiting"));
    await expect(waiter).rejects.toThrow("stop waiting");
    release();
    await holder;
    await expect(next).resolves.toBe("next");
    await expect(semaphore.run(async () => "again", AbortSignal.abort(new Error("too late")))).rejects.toThrow(
      "too late",
    );
  });
});

test("allOrAbort: the first failure aborts the rest and is what is thrown", async () => {
  const aborted: number[] = [];
  const work = (item: number, signal: AbortSignal) =>
    new Promise<number>((resolve, reject) => {
      if (item === 2) setTimeout(() => reject(new Error("two failed")), 5);
      else {
        const timer = setTimeout(() => resolve(item), 1000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          aborted.push(item);
          reject(signal.reason);
        });
      }
    });
  await expect(allOrAbort([1, 2, 3], undefined, work)).rejects.toThrow("two failed");
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(aborted).toEqual([1, 3]);
  await expect(allOrAbort([1, 3], undefined, async (item) => item * 2)).resolves.toEqual([2, 6]);
});
