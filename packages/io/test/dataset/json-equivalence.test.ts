import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/index.js";
import { byteChunks, collect, splitAt } from "../helpers/byte-chunks.js";

// Random datasets written as JSON text by hand (so numbers keep forms such as -0, 1.5E+10 and
// 12345678901234567890 that JSON.stringify would normalise), decoded by the reader under random splits of
// the byte stream, compared with JSON.parse of the same bytes.

const ws = fc.array(fc.constantFrom(" ", "\n", "\t", "\r"), { maxLength: 3 }).map((a) => a.join(""));

const numberText = fc.oneof(
  fc.constantFrom("-0", "0", "-0.0", "1e-7", "1.5E+10", "12345678901234567890", "5.47e-7", "1E400", "-1e-400", "0.1", "123456789.123456789", "4.9406564584124654e-324", "9007199254740993"),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer().map(String),
  fc
    .tuple(fc.boolean(), fc.nat(1e9), fc.option(fc.nat(1e12), { nil: undefined }), fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.nat(40)), { nil: undefined }))
    .map(([neg, int, frac, exp]) => `${neg ? "-" : ""}${int}${frac === undefined ? "" : `.${String(frac).padStart(3, "0")}`}${exp === undefined ? "" : `${exp[0]}${exp[1]}${exp[2]}`}`),
);

/** A JSON string literal for s, with random \u escapes, short escapes and raw characters. */
const stringText = fc.tuple(fc.string({ unit: "binary", maxLength: 12 }), fc.array(fc.nat(4), { minLength: 12, maxLength: 12 }), fc.boolean()).map(([s, modes, lone]) => {
  let out = '"';
  let i = 0;
  for (const ch of s) {
    const mode = modes[i++ % modes.length]!;
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\" || code < 0x20 || mode === 0) {
      const units = ch.length === 2 ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [code];
      out += units.map((u) => `\\u${u.toString(16).padStart(4, mode === 1 ? "0" : "0").toUpperCase()}`).join("");
    } else if (mode === 1 && ch === "\n") out += "\\n";
    else out += ch;
  }
  if (lone) out += "\\ud800x\\/\\b";
  return `${out}"`;
});

const cell = fc.oneof(
  { weight: 4, arbitrary: numberText },
  { weight: 1, arbitrary: fc.constantFrom("null", "true", "false", '"true"', '"false"') },
  { weight: 1, arbitrary: stringText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
);

const idText = fc.oneof(stringText, fc.integer().map(String), numberText);

const datasetText = fc
  .record({
    nfeatures: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(fc.tuple(idText, fc.array(cell, { minLength: 5, maxLength: 5 }), fc.boolean()), { maxLength: 12 }),
    objects: fc.boolean(),
    dataFirst: fc.boolean(),
    pad: fc.array(ws, { minLength: 24, maxLength: 24 }),
  })
  .map(({ nfeatures, rows, objects, dataFirst, pad }) => {
    const columns = ["user_id", ...Array.from({ length: nfeatures }, (_, i) => `f${i}`), "raw"];
    let k = 0;
    const w = (): string => pad[k++ % pad.length]!;
    const rowText = rows.map(([id, cells, asObject]) => {
      const values = [id, ...cells.slice(0, nfeatures), cells[4]!];
      if (objects && asObject) return `{${w()}${values.map((v, i) => `"${columns[i]}"${w()}:${w()}${v}`).reverse().join(`${w()},${w()}`)}${w()}}`;
      return `[${w()}${values.join(`${w()},${w()}`)}${w()}]`;
    });
    const data = `"data"${w()}:${w()}[${w()}${rowText.join(`${w()},${w()}`)}${w()}]`;
    const metadata = `"metadata"${w()}:${w()}{"columns":${JSON.stringify(columns)}}`;
    return { text: `${w()}{${w()}${dataFirst ? data : metadata}${w()},${w()}${dataFirst ? metadata : data}${w()}}${w()}`, nfeatures };
  });

function expected(bytes: Buffer, nfeatures: number): { ids: unknown[]; features: number[][]; raw: unknown[] } {
  const doc = JSON.parse(bytes.toString("utf8")) as { metadata: { columns: string[] }; data: unknown[] };
  const columns = doc.metadata.columns;
  const rows = doc.data.map((r) => (Array.isArray(r) ? r : columns.map((c) => (r as Record<string, unknown>)[c])));
  const encode = (v: unknown): number => (typeof v === "number" ? Math.fround(v) : v === true || v === "true" ? 1 : v === false || v === "false" ? 0 : 0);
  return {
    ids: rows.map((r) => r[0]),
    features: rows.map((r) => r.slice(1, 1 + nfeatures).map(encode)),
    raw: rows.map((r) => r[1 + nfeatures] ?? null),
  };
}

async function decode(chunks: AsyncIterable<Uint8Array>, nfeatures: number) {
  const features = Array.from({ length: nfeatures }, (_, i) => ({ column: `f${i}` }));
  return collect(readDataset(chunks, { features, extraColumns: ["raw"], batchSize: 3, spoolMemoryBytes: 64, tmpDir: process.env.TMPDIR ?? "/tmp" }));
}

function same(a: number[][], b: number[][]): boolean {
  return a.length === b.length && a.every((row, i) => row.length === b[i]!.length && row.every((v, j) => Object.is(v, b[i]![j])));
}

describe("reader equals JSON.parse", () => {
  it("for random datasets under random splits of the byte stream", async () => {
    await fc.assert(
      fc.asyncProperty(datasetText, fc.array(fc.nat(4000), { maxLength: 8 }), async ({ text, nfeatures }, cuts) => {
        const bytes = Buffer.from(text, "utf8");
        const want = expected(bytes, nfeatures);
        const got = await decode(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))), nfeatures);
        expect(got.userIds).toEqual(want.ids);
        expect(same(got.features, want.features)).toBe(true);
        expect(got.extras.raw ?? []).toEqual(want.raw);
      }),
      { numRuns: 300 },
    );
  });

  it("for random datasets fed one byte at a time", async () => {
    await fc.assert(
      fc.asyncProperty(datasetText, async ({ text, nfeatures }) => {
        const bytes = Buffer.from(text, "utf8");
        const want = expected(bytes, nfeatures);
        const got = await decode(byteChunks(bytes, [1]), nfeatures);
        expect(got.userIds).toEqual(want.ids);
        expect(same(got.features, want.features)).toBe(true);
        expect(got.extras.raw ?? []).toEqual(want.raw);
      }),
      { numRuns: 60 },
    );
  });
});
