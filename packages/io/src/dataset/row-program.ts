/**
 * A row decoder compiled for one column plan: straight-line code with each column's slot, fill and
 * categories as constants, so the hot loop does no per-cell lookup of what a column is for. It decodes
 * the common shapes inline (the expected JSON type per column, plain ASCII strings, `,` and `]` with
 * optional whitespace); any other value goes to the general decoder's value handling for that column, and
 * anything structural (a short or long row, a bad separator, a control character in a skipped string)
 * answers BAIL: RowDecoder then decodes the row again from its first byte with the general code, which
 * gives the exact error. So this is purely a speed-up: the result is the general decoder's.
 *
 * What a compiled row may touch before it bails or ends is only state the general path rewrites for the
 * same row (the row's feature slots, its id, its extras, its pending counters), never a committed thing.
 */
import { USE_CATEGORY, USE_ID, USE_NUMBER, type ColumnPlan } from "./column-plan.js";
import { idHash } from "./id-hash.js";
import { POW10, cursor, literal, numberValue, readIdString, scanLiteral, scanNumber, skipValue, skipWs } from "./json-scan.js";

/** The compiled row could not decide: decode the row with the general code. */
export const BAIL = -3;

/** The decoder state a compiled row writes (RowDecoder's fields of the same names). */
export interface RowState {
  readonly features: Float32Array;
  rowId: string | number | undefined;
  rowHashed: boolean;
  readonly rowHash: Uint32Array;
  readonly pendCol: Int32Array;
  readonly pendKind: Uint8Array;
  pendN: number;
  /** The general decoder's handling of one value (extras, mixed uses). */
  value(b: Buffer, p: number, end: number, col: number, fbase: number): number;
}

/** (b, p at the row's '[', end, first feature index of the row) -> position after its ']', INCOMPLETE or BAIL. */
export type CompiledRow = (this: RowState, b: Buffer, p: number, end: number, fbase: number) => number;

/** 1 for the bytes that end a plain run inside a string: '"', '\\' and control characters. */
const STOP = new Uint8Array(256);
for (let i = 0; i < 0x20; i++) STOP[i] = 1;
STOP[0x22] = 1;
STOP[0x5c] = 1;

// Pending stat kinds, as in row-decoder.ts.
const MISSING = 0;
const UNKNOWN = 2;

// Plans past this many used columns decode with the general code (bounds the compile time).
const MAX_USED_COLUMNS = 2048;
// V8 optimises no function of more than 60 KB of bytecode (then it runs ~10x slower): columns are packed
// into functions of at most this much source, which stays well under that.
const GROUP_SOURCE_CHARS = 12_000;

/** Appends one line of generated code. */
type Emit = (line: string) => void;

/**
 * Compiles the array-row decoder for `plan`, or returns undefined when the plan is empty or very wide.
 * `categoryBytes[col]` holds a categorical column's categories as UTF-8 bytes (index = category) when
 * they can be matched by bytes.
 */
export function compileArrayRow(plan: ColumnPlan, categoryBytes: readonly (Buffer[] | undefined)[]): CompiledRow | undefined {
  const n = plan.columns.length;
  if (n === 0 || plan.used.length > MAX_USED_COLUMNS) return undefined;
  const tables: Int32Array[] = [];
  const fills: Float64Array[] = [];
  // Each unit: the code for some cells, each followed by its ',' except the row's last cell.
  const units: string[] = [];
  let col = 0;
  while (col < n) {
    const lines: string[] = [];
    const emit: Emit = (line) => {
      lines.push(line);
    };
    // Runs of unused or of numeric-only columns (not the row's last one) become one loop each: the code
    // stays small however wide the dataset is.
    const use = plan.uses[col]!;
    let run = 0;
    if (use === 0 || use === USE_NUMBER) while (col + run < n - 1 && plan.uses[col + run] === use) run++;
    if (run >= 2 && use === 0) {
      emit(`for (let k = 0; k < ${run}; k++) {`);
      skipCell(emit);
      separator(emit);
      emit("}");
    } else if (run >= 2) {
      const t = tables.push(Int32Array.from({ length: run }, (_, k) => plan.slot[col + k]!)) - 1;
      const f = fills.push(Float64Array.from({ length: run }, (_, k) => plan.fill[col + k]!)) - 1;
      emit(`for (let k = 0; k < ${run}; k++) {`);
      emit(`const at = fbase + SLOTS[${t}][k];`);
      numberCell(emit, "at", `FILLS[${f}][k]`, `${col} + k`);
      separator(emit);
      emit("}");
    } else {
      run = 1;
      cell(emit, plan, categoryBytes, col);
      if (col < n - 1) separator(emit);
    }
    units.push(lines.join("\n"));
    col += run;
  }
  // Pack the units into functions; the row function calls them in order.
  const groups: string[] = [];
  let current = "";
  for (const unit of units) {
    if (current.length > 0 && current.length + unit.length > GROUP_SOURCE_CHARS) {
      groups.push(current);
      current = "";
    }
    current += `${unit}\n`;
  }
  groups.push(current);
  const prologue = [
    "const F = self.features;",
    "let c = 0, q = 0;",
    "if (p >= end) return -1;",
    "c = b[p];",
  ].join("\n");
  const source: string[] = ['"use strict";'];
  groups.forEach((body, g) => source.push(`function group${g}(self, b, p, end, fbase) {\n${prologue}\n${body}return p;\n}`));
  source.push(
    [
      "return function compiledRow(b, p, end, fbase) {",
      "let c = 0;",
      "p++;",
      "if (p >= end) return -1;",
      "c = b[p];",
      "if (c <= 0x20) { p = skipWs(b, p, end); if (p >= end) return -1; c = b[p]; }",
      // An empty row is a length error, which the general code words.
      "if (c === 0x5d) return BAIL;",
      ...groups.map((_, g) => `p = group${g}(this, b, p, end, fbase); if (p < 0) return p;`),
      "if (p >= end) return -1;",
      "c = b[p];",
      "if (c !== 0x5d) { if (c > 0x20) return BAIL; p = skipWs(b, p, end); if (p >= end) return -1; if (b[p] !== 0x5d) return BAIL; }",
      "return p + 1;",
      "};",
    ].join("\n"),
  );
  let factory: (...helpers: unknown[]) => CompiledRow;
  try {
    factory = new Function(
      "BAIL", "STOP", "POW10", "SLOTS", "FILLS", "skipWs", "skipValue", "scanNumber", "scanLiteral", "readIdString", "numberValue", "literal", "cursor", "idHash",
      source.join("\n"),
    ) as (...helpers: unknown[]) => CompiledRow;
  } catch {
    // Code generation disallowed (node --disallow-code-generation-from-strings): the general decoder.
    return undefined;
  }
  return factory(BAIL, STOP, POW10, tables, fills, skipWs, skipValue, scanNumber, scanLiteral, readIdString, numberValue, literal, cursor, idHash);
}

/** A numeric feature's cell into F[at]: numbers, true/false (also quoted), null as `fill` (counted missing). */
function numberCell(emit: Emit, at: string, fill: string, col: string): void {
  emit("if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {");
  inlineNumber(emit, `F[${at}]`);
  emit("} else if (c === 0x74 && p + 4 <= end && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {");
  emit(`  F[${at}] = 1; p += 4;`);
  emit("} else if (c === 0x66 && p + 5 <= end && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65) {");
  emit(`  F[${at}] = 0; p += 5;`);
  emit("} else if (c === 0x6e && p + 4 <= end && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {");
  emit(`  F[${at}] = ${fill}; p += 4; ${pend(col, MISSING)}`);
  emit("} else if (c === 0x22 && p + 6 < end && b[p + 1] === 0x74 && b[p + 2] === 0x72 && b[p + 3] === 0x75 && b[p + 4] === 0x65 && b[p + 5] === 0x22) {");
  emit(`  F[${at}] = 1; p += 6;`);
  emit("} else if (c === 0x22 && p + 7 < end && b[p + 1] === 0x66 && b[p + 2] === 0x61 && b[p + 3] === 0x6c && b[p + 4] === 0x73 && b[p + 5] === 0x65 && b[p + 6] === 0x22) {");
  emit(`  F[${at}] = 0; p += 7;`);
  emit(`} else { p = self.value(b, p, end, ${col}, fbase); if (p < 0) return -1; }`);
}

/** `c` holds b[p], the cell's first byte; afterwards p is past the cell (p may equal end). */
function cell(emit: Emit, plan: ColumnPlan, categoryBytes: readonly (Buffer[] | undefined)[], col: number): void {
  const use = plan.uses[col]!;
  const slot = plan.slot[col]!;
  if (use === 0) {
    skipCell(emit);
  } else if (use === USE_NUMBER) {
    numberCell(emit, `fbase + ${slot}`, numberLiteral(plan.fill[col]!), String(col));
  } else if (use === USE_CATEGORY && categoryBytes[col] !== undefined) {
    const table = categoryBytes[col]!;
    const count = plan.categoryCount[col]!;
    const zero = count <= 16
      ? Array.from({ length: count }, (_, i) => `F[fbase + ${slot + i}] = 0;`).join(" ")
      : `F.fill(0, fbase + ${slot}, fbase + ${slot + count});`;
    emit("if (c === 0x22) {");
    emit("  const from = p + 1; let ascii = true; q = from;");
    // An escape or a control character stops the scan there: the general code decides.
    emit("  for (;;) { if (q >= end) return -1; const x = b[q]; if (x === 0x22 || x === 0x5c || x < 0x20) break; if (x >= 0x80) ascii = false; q++; }");
    emit(`  if (b[q] !== 0x22) { ${general(col)} } else {`);
    emit("  const len = q - from; let found = -1;");
    // Group the categories by byte length; compare bytes as constants.
    const byLength = new Map<number, number[]>();
    table.forEach((bytes, k) => {
      const list = byLength.get(bytes.length) ?? [];
      list.push(k);
      byLength.set(bytes.length, list);
    });
    emit("  switch (len) {");
    for (const [len, ks] of byLength) {
      emit(`    case ${len}:`);
      for (const k of ks) {
        const bytes = table[k]!;
        const test = len === 0 ? "true" : Array.from(bytes, (v, i) => `b[from + ${i}] === ${v}`).join(" && ");
        emit(`      if (found < 0 && ${test}) found = ${k};`);
      }
      emit("      break;");
    }
    emit("  }");
    emit(`  if (found < 0 && !ascii) { ${general(col)} } else {`);
    emit(`  ${zero}`);
    emit(`  if (found < 0) { ${pend(col, UNKNOWN)} } else F[fbase + ${slot} + found] = 1;`);
    emit("  p = q + 1; } }");
    emit("} else if (c === 0x6e && p + 4 <= end && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {");
    emit(`  p += 4; ${zero} ${pend(col, MISSING)}`);
    emit(`} else { ${general(col)} }`);
  } else if (use === USE_ID) {
    // A numeric id: the general code (the fingerprint is then taken at commit).
    emit(`if (c !== 0x22) { ${general(col)} } else {`);
    emit("  const id = readIdString(b, p, end); p = cursor.end; if (p < 0) return -1;");
    emit("  self.rowId = id; self.rowHash[0] = idHash[0]; self.rowHash[1] = idHash[1]; self.rowHashed = true; }");
  } else {
    // Extras and columns with several uses: the general value handling, one call.
    emit(general(col));
  }
}

/**
 * A number into `target`: scanNumber's int32 path written out (the same arithmetic, so the same double),
 * for up to 9 significant digits without an exponent and not at the window's end; anything else is
 * scanNumber's, from the cell's first byte.
 */
function inlineNumber(emit: Emit, target: string): void {
  emit("  { let i = p, x = c, m = 0, digits = 0, exp = 0, ok = true;");
  emit("    const neg = x === 0x2d;");
  emit("    if (neg) { if (++i >= end) ok = false; else x = b[i]; }");
  emit("    if (ok) {");
  emit("      if (x === 0x30) { if (++i >= end) ok = false; else x = b[i]; }");
  emit("      else if (x >= 0x31 && x <= 0x39) { do { if (++digits > 9) { ok = false; break; } m = (m * 10 + (x - 0x30)) | 0; if (++i >= end) { ok = false; break; } x = b[i]; } while (x >= 0x30 && x <= 0x39); }");
  emit("      else ok = false;");
  emit("    }");
  emit("    if (ok && x === 0x2e) {");
  emit("      if (++i >= end) ok = false;");
  emit("      else { x = b[i]; if (x < 0x30 || x > 0x39) ok = false; else do { if ((m !== 0 || x !== 0x30) && ++digits > 9) { ok = false; break; } m = (m * 10 + (x - 0x30)) | 0; exp--; if (++i >= end) { ok = false; break; } x = b[i]; } while (x >= 0x30 && x <= 0x39); }");
  emit("    }");
  emit("    if (ok && (x === 0x65 || x === 0x45)) ok = false;");
  emit(`    if (ok) { const v = exp === 0 ? m : m / POW10[-exp]; ${target} = neg ? -v : v; p = i; }`);
  emit(`    else { p = scanNumber(b, p, end); if (p < 0) return -1; ${target} = numberValue[0]; } }`);
}

/** Any value of the column, by the general decoder (the same value or error as without compiling). */
function general(col: number): string {
  return `p = self.value(b, p, end, ${col}, fbase); if (p < 0) return -1;`;
}

/** An unused cell: strings skipped inline (most of a row's bytes), anything else by skipValue. */
function skipCell(emit: Emit): void {
  emit("if (c === 0x22) {");
  emit("  q = p + 1;");
  // Four bytes per test while none of them is special (", \\ or a control character).
  emit("  for (;;) {");
  emit("    while (q + 4 <= end && (STOP[b[q]] | STOP[b[q + 1]] | STOP[b[q + 2]] | STOP[b[q + 3]]) === 0) q += 4;");
  emit("    if (q >= end) return -1; const x = b[q]; if (x === 0x22) break; if (x === 0x5c) q += 2; else if (x < 0x20) return BAIL; else q++;");
  emit("  }");
  emit("  p = q + 1;");
  emit("} else { p = skipValue(b, p, end); if (p < 0) return -1; }");
}

/** After a cell that is not the row's last: a ',' (whitespace around it allowed), then the next cell's first byte in c. */
function separator(emit: Emit): void {
  emit("if (p >= end) return -1;");
  emit("c = b[p];");
  emit("if (c !== 0x2c) { if (c > 0x20) return BAIL; p = skipWs(b, p, end); if (p >= end) return -1; if (b[p] !== 0x2c) return BAIL; }");
  emit("if (++p >= end) return -1;");
  emit("c = b[p];");
  emit("if (c <= 0x20) { p = skipWs(b, p, end); if (p >= end) return -1; c = b[p]; }");
}

function pend(col: number | string, kind: number): string {
  return `if (self.pendN < self.pendCol.length) { self.pendCol[self.pendN] = ${col}; self.pendKind[self.pendN] = ${kind}; self.pendN++; }`;
}

/** A fill value as JavaScript source (fills are finite: validateFeatures). */
function numberLiteral(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}
