import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planColumns, USE_NUMBER } from "../../src/dataset/column-plan.js";
import { DatasetError, ScanFault } from "../../src/dataset/dataset-error.js";
import { BATCH_FULL, NEED_MORE, RowDecoder } from "../../src/dataset/row-decoder.js";
import { compileArrayRow } from "../../src/dataset/row-program.js";
import type { FeatureSpec } from "../../src/index.js";

// The compiled row decoder (row-program.ts) against the general one, on the same bytes cut into the same
// windows: every value, id, extra, counter and error must be the same. The rows are mostly what the
// compiled code decodes inline (so it is exercised) with a share of everything it hands back.

const CATEGORIES = ["US", "CA", "", "Zürich", "a\"b", "x"];

interface Layout {
  columns: string[];
  features: FeatureSpec[];
  extraColumns: string[];
  kinds: ("id" | "unused" | "number" | "category" | "extra")[];
}

const layout: fc.Arbitrary<Layout> = fc
  .array(fc.constantFrom("unused", "number", "category", "extra") as fc.Arbitrary<"unused" | "number" | "category" | "extra">, { minLength: 1, maxLength: 14 })
  .chain((kinds) => fc.tuple(fc.constant(kinds), fc.nat(kinds.length), fc.array(fc.constantFrom(0, 0, 0, -1, 2.5), { minLength: kinds.length, maxLength: kinds.length })))
  .map(([rest, idAt, fills]) => {
    const kinds: Layout["kinds"] = [...rest];
    kinds.splice(idAt, 0, "id");
    const columns = kinds.map((k, i) => `${k}${i}`);
    const features: FeatureSpec[] = [];
    const extraColumns: string[] = [];
    kinds.forEach((k, i) => {
      if (k === "number") features.push(fills[i % fills.length] === 0 ? { column: columns[i]! } : { column: columns[i]!, fill: fills[i % fills.length]! });
      else if (k === "category") features.push({ column: columns[i]!, kind: "categorical", categories: CATEGORIES.slice(0, 2 + (i % 4)) });
      else if (k === "extra") extraColumns.push(columns[i]!);
    });
    // Model input order differs from the dataset's column order.
    features.reverse();
    return { columns, features, extraColumns, kinds };
  });

const numberText = fc.oneof(
  fc.constantFrom("0", "-0", "7", "42", "355.5", "-0.575", "0.000123", "123456789", "1234567891", "0.1234567891", "1e3", "2.5E-3", "12345678901234567890", "01", "-", "1.", ".5"),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer({ min: -100000, max: 100000 }).map(String),
  fc.tuple(fc.nat(99999), fc.nat(9999)).map(([a, b]) => `${a}.${b}`),
);
const stringText = fc.oneof(
  fc.constantFrom('"2025-04-11T08:57:48Z"', '"true"', '"false"', '"tru"', '"a\\"b"', '"\\u0041"', '"Zürich"', '"caf\\u00e9"', '"\\n"', '""'),
  fc.constantFrom(...CATEGORIES).map((c) => JSON.stringify(c)),
  fc.string({ maxLength: 10 }).map((s) => JSON.stringify(s)),
);
const goodCell = fc.oneof(
  { weight: 5, arbitrary: numberText },
  { weight: 2, arbitrary: fc.constantFrom("null", "true", "false", "nul", "truex") },
  { weight: 3, arbitrary: stringText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
);
const ws = fc.constantFrom("", "", "", "", " ", "\n ", "\t");

/** One row's text: usually well formed, sometimes short, long, with a bad separator or a raw control character. */
const rowText = (n: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.array(goodCell, { minLength: n, maxLength: n }), fc.array(ws, { minLength: n + 1, maxLength: n + 1 }), fc.nat(30), fc.nat(n), fc.oneof(fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)), fc.integer().map(String)))
    .map(([cells, pad, fault, at, id]) => {
      const values = [...cells];
      values[0] = id;
      if (fault === 0) values.pop();
      else if (fault === 1) values.push("1");
      else if (fault === 2) values[at] = '"tab\there"';
      else if (fault === 3) values[at] = "{";
      const sep = fault === 4 ? ";" : ",";
      return `[${pad[0]}${values.map((v, i) => `${v}${pad[i + 1]}`).join(sep)}]`;
    });

interface Outcome {
  rows: number[][];
  ids: (string | number)[];
  extras: unknown[][];
  missing: number[];
  invalid: number[];
  unknown: number[];
  error?: string;
}

function run(lay: Layout, text: string, cuts: number[], compile: boolean, batchSize: number): Outcome {
  const plan = planColumns(lay.columns, { features: lay.features, extraColumns: lay.extraColumns, idColumn: lay.columns[lay.kinds.indexOf("id")]!, fill: 0 });
  const decoder = new RowDecoder(plan, batchSize, undefined, { compile });
  const out: Outcome = { rows: [], ids: [], extras: plan.extraColumns.map(() => []), missing: [], invalid: [], unknown: [] };
  const bytes = Buffer.from(text, "utf8");
  const take = (): void => {
    for (let r = 0; r < decoder.rows; r++) out.rows.push(Array.from(decoder.features.subarray(r * plan.width, (r + 1) * plan.width)));
    out.ids.push(...decoder.userIds);
    decoder.extras.forEach((col, k) => out.extras[k]!.push(...col));
    decoder.nextBatch();
  };
  let windowStart = 0;
  let p = 0;
  try {
    for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
      if (cut <= windowStart + p) continue;
      // Each window is the unconsumed rest plus the new bytes, copied (as a parser's carry would be).
      const window = Buffer.from(bytes.subarray(windowStart, cut));
      decoder.base = windowStart;
      let q = p;
      for (;;) {
        q = decoder.decode(window, q, window.length);
        if (decoder.status !== BATCH_FULL) break;
        take();
      }
      windowStart += q;
      p = 0;
      if (decoder.status !== NEED_MORE) break;
    }
  } catch (err) {
    out.error = err instanceof ScanFault ? `ScanFault at ${decoder.base + err.pos}: ${err.expected}` : err instanceof DatasetError ? `${err.code}: ${err.message}` : String(err);
  }
  take();
  out.missing = Array.from(decoder.missing);
  out.invalid = Array.from(decoder.invalid);
  out.unknown = Array.from(decoder.unknown);
  return out;
}

describe("compiled row decoder", () => {
  it("equals the general decoder on random rows, layouts and windows", () => {
    fc.assert(
      fc.property(
        layout.chain((lay) => fc.tuple(fc.constant(lay), fc.array(rowText(lay.columns.length), { maxLength: 10 }), fc.array(fc.nat(2000), { maxLength: 6 }), fc.integer({ min: 1, max: 4 }))),
        ([lay, rows, cuts, batchSize]) => {
          const text = `${rows.join(",")}]`;
          const general = run(lay, text, cuts, false, batchSize);
          const compiled = run(lay, text, cuts, true, batchSize);
          expect(compiled).toEqual(general);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("equals the general decoder one byte at a time", () => {
    fc.assert(
      fc.property(
        layout.chain((lay) => fc.tuple(fc.constant(lay), fc.array(rowText(lay.columns.length), { maxLength: 4 }))),
        ([lay, rows]) => {
          const text = `${rows.join(",")}]`;
          const cuts = Array.from({ length: Buffer.byteLength(text) }, (_, i) => i);
          expect(run(lay, text, cuts, true, 3)).toEqual(run(lay, text, cuts, false, 3));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("decodes the rows it is built for inline, and wide datasets too", () => {
    // 3,000 columns, 600 of them numeric features: loops over runs keep the code small.
    const columns = ["user_id", ...Array.from({ length: 3000 }, (_, i) => `c${i}`)];
    const features: FeatureSpec[] = columns.slice(1).filter((_, i) => i % 5 === 0).map((column) => ({ column }));
    const plan = planColumns(columns, { features, extraColumns: [], idColumn: "user_id", fill: 0 });
    expect(plan.uses.filter((u) => u === USE_NUMBER).length).toBe(600);
    expect(compileArrayRow(plan, [])).toBeTypeOf("function");
    const row = (k: number): string => `["u${k}",${columns.slice(1).map((_, i) => (i % 5 === 0 ? String(k + i / 10) : `"s${i}"`)).join(",")}]`;
    const text = `${row(1)},${row(2)}]`;
    const lay: Layout = { columns, features, extraColumns: [], kinds: ["id", ...columns.slice(1).map(() => "unused" as const)] };
    const compiled = run(lay, text, [], true, 8);
    expect(compiled.error).toBeUndefined();
    expect(compiled.ids).toEqual(["u1", "u2"]);
    expect(compiled.rows[1]![3]).toBeCloseTo(2 + 1.5, 5);
    expect(compiled).toEqual(run(lay, text, [], false, 8));
  });

  it("falls back to the general decoder where code generation is disallowed", async () => {
    // A process started with --disallow-code-generation-from-strings: new Function throws there.
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const script = [
      'const { planColumns } = await import("./src/dataset/column-plan.ts");',
      'const { compileArrayRow } = await import("./src/dataset/row-program.ts");',
      'const { readDataset } = await import("./src/index.ts");',
      'const plan = planColumns(["user_id", "a"], { features: [{ column: "a" }], extraColumns: [], idColumn: "user_id", fill: 0 });',
      "async function* src() { yield Buffer.from('{\"metadata\":{\"columns\":[\"user_id\",\"a\"]},\"data\":[[\"u1\",1.5],[\"u2\",null]]}'); }",
      "const out = [];",
      'for await (const b of readDataset(src(), { features: [{ column: "a" }] })) out.push(...b.userIds, ...b.features);',
      "console.log(JSON.stringify({ compiled: typeof compileArrayRow(plan, []), out }));",
    ].join("\n");
    const run = (flags: string[]) => promisify(execFile)(process.execPath, [...flags, "--conditions=@batchkit/source", "--import", "tsx", "--input-type=module", "-e", script], { cwd: root });
    const blocked = JSON.parse((await run(["--disallow-code-generation-from-strings"])).stdout) as { compiled: string; out: unknown[] };
    expect(blocked).toEqual({ compiled: "undefined", out: ["u1", "u2", 1.5, 0] });
    const allowed = JSON.parse((await run([])).stdout) as { compiled: string };
    expect(allowed.compiled).toBe("function");
  });
});
