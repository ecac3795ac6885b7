import { describe, expect, it } from "vitest";
import { ProgressBar } from "../src/progress.js";

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = "";
  const stream = { isTTY, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

describe("ProgressBar", () => {
  it("redraws one line in place on a TTY and ends it when done", () => {
    const { stream, text } = fakeStream(true);
    const bar = new ProgressBar(stream);
    for (let done = 0; done <= 4; done++) bar.update({ done, total: 4, users: done * 10, failed: 0 });
    const out = text();
    expect(out.split("\r").length - 1).toBe(5);
    expect(out).toContain("[##############################] batches 4/4  40 users");
    expect(out.endsWith("\n")).toBe(true);
    expect(out.split("\n")).toHaveLength(2);
  });

  it("writes plain lines, about one per tenth, when not a TTY", () => {
    const { stream, text } = fakeStream(false);
    const bar = new ProgressBar(stream);
    for (let done = 0; done <= 100; done++) bar.update({ done, total: 100, users: done, failed: done > 50 ? 1 : 0 });
    const lines = text().trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(11);
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines.every((l) => !l.includes("\r"))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^batches 100\/100 {2}100 users .* 1 failed$/);
  });
});
