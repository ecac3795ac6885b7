import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataJsonSyntaxError, readDataJson } from "../src/data-json-reader.js";
import { tempDir } from "./helpers/tmp.js";

const tmp = tempDir("datajson");
afterAll(() => tmp.cleanup());
let n = 0;

async function read(text: string): Promise<{ rows: unknown[]; members: Record<string, unknown>; hasUpdates: boolean }> {
  const file = join(tmp.dir, `f${n++}.json`);
  writeFileSync(file, text);
  const rows: unknown[] = [];
  let expectedIndex = 0;
  const out = await readDataJson(file, (chunk, first) => {
    expect(first).toBe(expectedIndex);
    expectedIndex += chunk.length;
    rows.push(...chunk);
  });
  return { rows, members: out.members, hasUpdates: out.hasUpdates };
}

const docs: unknown[] = [
  { category: "Predictions", properties: ["Rating"], updates: [["u1", 0.25], ["u2", 1e-7]] },
  { properties: ["Class", "Rating"], updates: [["a\"]},[", "B", 0.5], ["é☃", null, true], [12, "x", -3]] },
  { updates: [["late", 1]], properties: ["R"], extra: { nested: [1, { s: "]}" }], n: null } },
  { properties: ["R"], updates: [] },
  { properties: ["R"], updates: [1, "two", null, {}, []] },
];

describe("readDataJson", () => {
  it.each(docs.map((d, i) => [i, d]))("reads document %i in compact and pretty layouts", async (_i, doc) => {
    const { updates, ...rest } = doc as { updates: unknown[] };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2), `\n  ${JSON.stringify(doc, null, "\t")}\n\n`]) {
      const out = await read(text);
      expect(out.rows).toEqual(updates);
      expect(out.members).toEqual(rest);
      expect(out.hasUpdates).toBe(true);
    }
  });

  it("reads a file of several MB whose elements and strings cross chunk boundaries", async () => {
    const updates: unknown[][] = [];
    for (let i = 0; i < 50_000; i++) updates.push([`user-${i}-${"x".repeat(i % 37)}`, i / 7, i % 3 === 0 ? "a,]}\"" : null]);
    const doc = { category: "C", properties: ["p", "q"], updates };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 1)]) {
      const out = await read(text);
      expect(out.rows.length).toBe(updates.length);
      expect(out.rows).toEqual(updates);
    }
  });

  it("reads a member value that crosses a chunk boundary", async () => {
    const big = "y".repeat(3 << 20);
    const out = await read(JSON.stringify({ note: big, properties: ["R"], updates: [["u", 1]] }));
    expect(out.members["note"]).toBe(big);
    expect(out.rows).toEqual([["u", 1]]);
  });

  it("reports a document without updates", async () => {
    const out = await read('{"properties":["R"]}');
    expect(out.hasUpdates).toBe(false);
    expect(out.members).toEqual({ properties: ["R"] });
  });

  it.each([
    ["[1,2]", /must be a JSON object/],
    ['{"properties":["R"],"updates":[["u",1]', /ends before its root object is closed/],
    ['{"properties":["R"],"updates":[["u",1],,["v",2]]}', /empty element/],
    ['{"properties":["R"],"updates":[["u",tru]]}', /malformed updates element/],
    ['{"properties":["R"] "updates":[]}', /expected ',' or '}'/],
    ['{"properties":["R"],"updates":[]} x', /after the root object/],
  ])("refuses %s with a byte offset", async (text, message) => {
    const err = await read(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataJsonSyntaxError);
    expect((err as Error).message).toMatch(message);
    expect((err as DataJsonSyntaxError).byteOffset).toBeGreaterThanOrEqual(0);
  });
});
